import assert, { deepStrictEqual } from "node:assert/strict";
import { centreOfMass, placeByCentreOfMass } from "./centre_of_mass.ts";

Deno.test("centreOfMass weighs pixel indices by ink", () => {
  const ink = new Float32Array(4 * 2);
  ink[0] = 1; // (0, 0)
  ink[7] = 3; // (3, 1)
  deepStrictEqual(centreOfMass(ink, 4, 2), { x: 9 / 4, y: 3 / 4 });
  deepStrictEqual(centreOfMass(new Float32Array(4), 2, 2), null);
});

Deno.test("placeByCentreOfMass puts the centre of mass at the field's centre", () => {
  const patch = new Float32Array(6 * 4);
  patch[5] = 1; // the ink sits at the patch's top-right corner
  patch[6 + 5] = 1;
  const field = placeByCentreOfMass(patch, 6, 4, 28);
  const centre = centreOfMass(field, 28, 28)!;
  assert(Math.abs(centre.x - 14) <= 0.5 && Math.abs(centre.y - 14) <= 0.5, JSON.stringify(centre));
  deepStrictEqual(field.reduce((a, b) => a + b), 2);
});

Deno.test("placeByCentreOfMass cuts ink pushed past the edge", () => {
  const patch = new Float32Array(20 * 20);
  patch[0] = 1; // a light speck at one corner...
  patch[20 * 20 - 1] = 100; // ...and the mass at the other: the speck lands outside
  const field = placeByCentreOfMass(patch, 20, 20, 28);
  deepStrictEqual(field.reduce((a, b) => a + b), 100);
});
