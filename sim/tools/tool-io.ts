// Fake hook tools: where a tool writes. main.ts collects stdout and stderr and writes them once, before exiting.

export interface ToolIO {
  out(text: string): void;
  err(text: string): void;
}
