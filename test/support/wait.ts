/** Polls until `probe` returns something truthy; fails with what it last saw. */
export async function eventually<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what = 'condition', timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
