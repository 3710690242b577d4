// Types for the one file of the `lzma` package (LZMA-JS) the charm uses: its synchronous encoder, which bundles
// into the single-file charm (the package's index.js loads it by a computed path that a bundler cannot follow).
declare module 'lzma/src/lzma_worker.js' {
  const worker: {
    readonly LZMA_WORKER: {
      compress(data: Uint8Array | string, mode: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9): number[];
      decompress(data: Uint8Array | number[]): string | number[];
    };
  };
  export default worker;
}
