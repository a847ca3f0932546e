import assert, { deepStrictEqual } from "node:assert/strict";
import { DecodeBudget, decodeCost, DecodeLanes } from "./decode_budget.ts";

const MiB = 1024 * 1024;

Deno.test("DecodeBudget: past the budget a reservation is refused; releasing frees it", () => {
  const budget = new DecodeBudget({ bytes: 100 * MiB, perClientShare: 1 });
  const first = budget.reserve(60 * MiB, "a")!;
  assert(first, "the first fits");
  deepStrictEqual(budget.reserve(60 * MiB, "b"), null);
  const small = budget.reserve(30 * MiB, "b");
  assert(small, "what fits beside it passes");
  first();
  first(); // twice is harmless
  deepStrictEqual(budget.held, 30 * MiB);
  assert(budget.reserve(60 * MiB, "b"), "freed room is usable again");
});

Deno.test("DecodeBudget: one client holds at most its share; others still get in", () => {
  const budget = new DecodeBudget({ bytes: 100 * MiB, perClientShare: 0.5 });
  assert(budget.reserve(40 * MiB, "greedy"));
  deepStrictEqual(budget.reserve(20 * MiB, "greedy"), null);
  assert(budget.reserve(50 * MiB, "other"), "another client is not starved");
});

Deno.test("DecodeBudget: an image over the whole budget decodes when it is alone", () => {
  const budget = new DecodeBudget({ bytes: 10 * MiB });
  const release = budget.reserve(64 * MiB, "a");
  assert(release, "alone it passes");
  deepStrictEqual(budget.reserve(1, "b"), null);
  release();
  deepStrictEqual(budget.held, 0);
});

Deno.test("decodeCost: 16-bit RGBA costs more than 8-bit; JPEG counts its coefficients", () => {
  const png = (depth: number, colourType: number) => {
    const bytes = new Uint8Array(33);
    bytes[24] = depth;
    bytes[25] = colourType;
    return bytes;
  };
  const header = { format: "png" as const, width: 4096, height: 4096 };
  deepStrictEqual(decodeCost(header, png(8, 6)), (4096 * 4 + 1) * 4096 + 4096 * 4096 * 4);
  deepStrictEqual(decodeCost(header, png(16, 6)), (4096 * 8 + 1) * 4096 + 4096 * 4096 * 4);
  deepStrictEqual(decodeCost({ ...header, format: "jpeg" }, new Uint8Array(4)), 4096 * 4096 * 10);
});

Deno.test("DecodeLanes: a big image holding its whole lane refuses no canvas-sized drawing", () => {
  const lanes = new DecodeLanes({ bytes: 192 * MiB });
  const canvas = { width: 280, height: 280 }, bomb = { width: 4096, height: 4096 };
  deepStrictEqual(lanes.laneFor(canvas), lanes.small);
  deepStrictEqual(lanes.laneFor(bomb), lanes.big);
  deepStrictEqual(lanes.laneFor({ width: 1024, height: 1024 }), lanes.small);
  deepStrictEqual(lanes.small.bytes + lanes.big.bytes, 192 * MiB);
  // A 16-bit 4096x4096 PNG (192 MiB by decodeCost) alone takes the big lane...
  assert(lanes.laneFor(bomb).reserve(192 * MiB, "attacker"));
  deepStrictEqual(lanes.laneFor(bomb).reserve(1 * MiB, "attacker"), null);
  deepStrictEqual(lanes.laneFor(bomb).reserve(1 * MiB, "other"), null);
  // ...and drawings, the attacker's own included, still decode beside it.
  assert(lanes.laneFor(canvas).reserve(280 * 280 * 8, "other"));
  assert(lanes.laneFor(canvas).reserve(280 * 280 * 8, "attacker"));
});
