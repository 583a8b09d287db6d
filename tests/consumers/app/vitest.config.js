import { defineConfig } from "vitest/config";

// Each test file names its DOM environment (happy-dom or jsdom) in its first line.
export default defineConfig({ test: { include: ["vitest/*.test.ts"] } });
