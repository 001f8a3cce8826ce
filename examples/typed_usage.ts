// Type-checked with `tsc --noEmit --strict -p examples/tsconfig.json` (npm run typecheck):
// the public typings must describe real usage precisely enough for --strict.
import fanio, { FanioError, asSettled, fail, map, opStats, settle, sleep, type Op, type StreamResult } from 'fanio';

async function main(): Promise<void> {
  const op: Op<string> = sleep(10, 'ten');
  const text: string = await op;
  const nothing: undefined = await sleep(0);
  void nothing;

  // A tuple keeps each task's own value type.
  const [a, b, c] = await settle([sleep(5, 1), () => 'host', async ({ signal }) => (signal.aborted ? 0n : 1n)], {
    limit: 2,
    timeout: 1_000,
    failFast: false,
    onProgress: (done: number, total: number) => void (done <= total),
  });
  if (a.status === 'fulfilled') {
    const n: number = a.value;
    void n;
  }
  if (b.status === 'fulfilled') {
    const s: string = b.value;
    void s;
  }
  if (c.status === 'rejected') {
    const reason: unknown = c.reason;
    void reason;
  } else {
    const big: bigint = c.value;
    void big;
  }

  // A list of one kind.
  const many: PromiseSettledResult<number>[] = await settle(
    Array.from({ length: 10 }, (_, i) => sleep(i, i)),
    { limit: 4, signal: AbortSignal.timeout(5_000) },
  );
  void many;

  try {
    await fail(1, 'boom');
  } catch (e) {
    if (e instanceof FanioError) {
      const code: string = e.code;
      void code;
    }
  }

  const doubled: number[] = await map([1, 2, 3], async (x: number, i: number) => x * 2 + i, {
    concurrency: 2,
    stopOnError: false,
  });
  void doubled;

  function* source(): Generator<Op<string> | (() => Promise<string>)> {
    yield sleep(1, 'native');
    yield async () => 'host';
  }
  for await (const r of asSettled(source(), { limit: 2 })) {
    const item: StreamResult<string> = r;
    if (item.status === 'fulfilled') console.log(item.index, item.value.toUpperCase());
    else console.log(item.index, item.reason);
  }

  const { running, peak }: { running: number; peak: number } = opStats();
  console.log(text, running, peak, fanio.codes.length);
  fanio.resetOpStats();
}

void main();
