import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "runtime/test/**/*.test.ts",
      "backend/test/**/*.test.ts",
      "gateway/test/**/*.test.ts",
      "helm/test/**/*.test.ts",
      "infrastructure/test/**/*.test.ts",
      "test/**/*.test.ts",
    ],
    // Tests start real servers and processes; on a 2-core machine a generous timeout avoids flakes.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
