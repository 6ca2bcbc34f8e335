// glibc malloc settings for the server process, set by whoever spawns it (the extension's client, the test and
// benchmark harnesses): glibc reads them once, when the process starts, so the server cannot set them for itself.
//
// Why: every completion allocates and frees buffers of several MB outside the JavaScript heap (the context's
// K/V, 8 MB at 512 tokens with the shipped model, and onnxruntime's tensors). glibc's default raises its mmap
// threshold after the first such buffer is freed, so later ones come from the main heap, where the holes they
// leave between long-lived blocks are never given back: with a 10 MB document RSS grew by 123 MB over 200 edit +
// completion rounds and did not come down (bench/soak.ts `--only big`; +21 MB with these settings, the gate's
// copied window in completion/syntax.ts, one allocation per K/V in memory/kv.ts and no onnxruntime arena). A fixed threshold of 4 MB keeps those buffers in their own
// mappings, returned to the system when freed; a lower trim threshold gives back the top of the heap sooner, and
// two arenas (onnxruntime's worker threads would each get their own) bound the rest.
//
// Off Linux (or on a C library that ignores them) the variables do nothing.

export const allocatorEnv: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: String(4 * 1024 * 1024),
  MALLOC_TRIM_THRESHOLD_: String(16 * 1024 * 1024),
  MALLOC_ARENA_MAX: '2',
};
