/**
 * The app on a loopback port chosen by the OS, in this process: fast to start for API tests.
 *
 * @module
 */
import { createApp } from "../../app.ts";
import { initImageDecoders } from "../../inference/image_decode.ts";
import { loadModels, type ModelRegistry } from "../../inference/model_registry.ts";
import type { FeedbackOptions } from "../../routes/api/mod.ts";

export interface TestServer {
  url: string;
  registry: ModelRegistry;
  close(): Promise<void>;
}

export async function startTestServer(options: {
  modelsDir: string;
  preferred?: string;
  maxBodyBytes?: number;
  feedback?: FeedbackOptions;
}): Promise<TestServer> {
  await initImageDecoders();
  const dir = new URL(`file://${options.modelsDir.replace(/\/?$/, "/")}`);
  const { registry } = await loadModels(dir, {
    preferred: options.preferred ?? "cnn-aug",
    required: false,
  });
  const app = createApp({
    registry,
    maxBodyBytes: options.maxBodyBytes ?? 2 * 1024 * 1024,
    feedback: options.feedback,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    registry,
    async close() {
      await server.shutdown();
      await registry.close();
    },
  };
}

/** The project's shipped models folder, and whether `name` is in it. */
export const SHIPPED_MODELS = new URL("../../models/", import.meta.url).pathname;

export async function shippedModel(name: string): Promise<boolean> {
  try {
    await Deno.stat(`${SHIPPED_MODELS}${name}.onnx`);
    return true;
  } catch {
    return false;
  }
}
