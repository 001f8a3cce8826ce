"""Type-checks the public API (`mypy --strict examples/typed_usage.py` in make test)."""

import asyncio

import fanio


async def main() -> None:
    name: str = await fanio.sleep(0.01, "typed")
    await fanio.sleep(0)
    outcomes: list[fanio.Fulfilled[int] | fanio.Rejected[BaseException]] = await fanio.settle(
        [fanio.sleep(0.001, i) for i in range(3)], limit=2, timeout=1.0, on_progress=lambda d, t: None
    )
    for outcome in outcomes:
        match outcome:
            case fanio.Fulfilled(value):
                print(value + 1)
            case fanio.Rejected(error):
                print(type(error).__name__)
    values: list[int] = await fanio.gather(*[fanio.sleep(0, i) for i in range(3)], limit=2)
    async for index, item in fanio.as_settled([fanio.sleep(0, "x")], limit=1):
        print(index, item.status)
    try:
        await fanio.fail(0, "boom")
    except fanio.FanioError as e:
        code: str = e.code
        print(code, name, values, fanio.op_stats()["running"])


if __name__ == "__main__":
    asyncio.run(main())
