// ESM entry: the same module as index.js (one addon, one hub), re-exported by name.
import fanio from './index.js';

export const {
  sleep,
  fail,
  settle,
  map,
  mapIterable,
  mapSkip,
  asSettled,
  opStats,
  resetOpStats,
  FanioError,
  Op,
  codes,
} = fanio;
export const { connect, Database, Transaction } = fanio;
export const { Client, Response, ResponseHeaders } = fanio;
export default fanio;
