/**
 * Generated bad requests for `/predict` (v2 infer's are in v2_bad_inputs.ts):
 * truncated and bit-flipped PNG/JPEG made from valid ones, empty files, huge declared
 * dimensions, decompression bombs, wrong content types, missing and repeated fields, invalid
 * base64, deeply nested and huge JSON, bodies over the limit. Seeded, so every run sends the
 * same inputs. Shared by tests/fuzz_test.ts and bench/soak.ts.
 *
 * @module
 */
import { deflateSync } from "node:zlib";
import { Random } from "../../training/random.ts";
import { concat, pngBomb, pngClaiming, pngWith } from "./png_encode.ts";

/** One request to send, and what a correct server may answer. */
export interface BadInput {
  /** Category and index, for failure messages. */
  name: string;
  method: string;
  /** Path and query, e.g. `/predict?model=cnn`. */
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array<ArrayBuffer>;
  /**
   * "4xx": only a JSON client error is right. "4xx-or-prediction": a mutation that may still
   * be a valid image (a JPEG with flipped bits in its pixel data decodes fine), so a proper
   * prediction is right too.
   */
  expect: "4xx" | "4xx-or-prediction";
}

/** A deterministic pseudo-random source: the training pipeline's seeded generator. */
export function seededRandom(seed: number): () => number {
  const random = new Random(seed);
  return () => random.next();
}

const encoder = new TextEncoder();
export const text = (s: string) => encoder.encode(s);

/** A multipart/form-data body written by hand, so it can be wrong in every way a client can. */
export function multipartBody(
  boundary: string,
  parts: { name: string; filename?: string; type?: string; data: Uint8Array }[],
): Uint8Array<ArrayBuffer> {
  const pieces: Uint8Array[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"` +
      (part.filename === undefined ? "" : `; filename="${part.filename}"`);
    pieces.push(text(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n`));
    if (part.type) pieces.push(text(`Content-Type: ${part.type}\r\n`));
    pieces.push(text("\r\n"), part.data, text("\r\n"));
  }
  pieces.push(text(`--${boundary}--\r\n`));
  return concat(pieces);
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** A copy of a JPEG whose first frame header claims another size. */
function jpegClaiming(jpeg: Uint8Array, width: number, height: number): Uint8Array<ArrayBuffer> {
  const copy = jpeg.slice();
  for (let i = 2; i + 9 < copy.length; i++) {
    if (copy[i] === 0xff && (copy[i + 1] === 0xc0 || copy[i + 1] === 0xc2)) {
      copy[i + 5] = height >> 8;
      copy[i + 6] = height & 0xff;
      copy[i + 7] = width >> 8;
      copy[i + 8] = width & 0xff;
      return copy;
    }
  }
  throw new Error("no frame header in the JPEG");
}

export interface Samples {
  /** Valid PNGs (a canvas drawing, the fixture). */
  pngs: Uint8Array<ArrayBuffer>[];
  /** Valid JPEGs (baseline and progressive). */
  jpegs: Uint8Array<ArrayBuffer>[];
}

/**
 * The bad inputs for `/predict`: about 1,100 of them for a body limit of `maxBodyBytes`.
 * Each category's count is fixed; the bytes come from `seed`.
 */
export function predictBadInputs(samples: Samples, maxBodyBytes: number, seed = 7): BadInput[] {
  const random = seededRandom(seed);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];
  const inputs: BadInput[] = [];
  const add = (
    category: string,
    body: Uint8Array<ArrayBuffer> | undefined,
    headers: Record<string, string>,
    expect: BadInput["expect"] = "4xx",
    path = "/predict",
    method = "POST",
  ) => inputs.push({ name: `${category} #${inputs.length}`, method, path, headers, body, expect });
  const png = { "Content-Type": "image/png" };
  const jpegType = { "Content-Type": "image/jpeg" };
  const asJson = (value: unknown) => text(JSON.stringify(value));
  const json = { "Content-Type": "application/json" };
  const boundary = "fuzzBoundary7MA4YWxkTrZu0gW";
  const form = { "Content-Type": `multipart/form-data; boundary=${boundary}` };

  // Truncated images: every kind of cut, sent raw, as multipart and as base64 JSON.
  for (let i = 0; i < 270; i++) {
    const isPng = i % 2 === 0;
    const file = pick(isPng ? samples.pngs : samples.jpegs);
    // Cut anywhere. A file that lost only its end (PNG's 12-byte IEND chunk, JPEG's
    // end-of-image marker and perhaps the last scan bits) still holds a picture that lenient
    // decoders, ours included, read: a prediction is right for those.
    const cut = Math.floor(random() * (file.length - 1));
    const cutFile = file.slice(0, cut);
    const pixelsAllThere = isPng ? cut >= file.length - 12 : cut >= file.length - 64;
    const expect = pixelsAllThere ? "4xx-or-prediction" : "4xx";
    const form3 = i % 3;
    if (form3 === 0) add("truncated", cutFile, isPng ? png : jpegType, expect);
    else if (form3 === 1) {
      add(
        "truncated multipart",
        multipartBody(boundary, [{ name: "img", filename: "image.png", data: cutFile }]),
        form,
        expect,
      );
    } else add("truncated base64", asJson({ image: base64(cutFile) }), json, expect);
  }

  // Bit flips: 1 to 8 random bits. PNG's CRCs catch them all; a JPEG may still decode.
  for (let i = 0; i < 360; i++) {
    const isPng = i % 2 === 0;
    const file = pick(isPng ? samples.pngs : samples.jpegs).slice();
    const flips = 1 + Math.floor(random() * 8);
    for (let k = 0; k < flips; k++) {
      file[Math.floor(random() * file.length)] ^= 1 << Math.floor(random() * 8);
    }
    add("bit-flipped", file, isPng ? png : jpegType, isPng ? "4xx" : "4xx-or-prediction");
  }

  // Empty files, every way they can be sent.
  const empty = new Uint8Array(0);
  for (const type of ["image/png", "image/jpeg", "application/octet-stream", ""]) {
    add("empty", empty, type ? { "Content-Type": type } : {});
  }
  add("empty multipart file", multipartBody(boundary, [{ name: "img", data: empty }]), form);
  add(
    "empty multipart file",
    multipartBody(boundary, [{ name: "img", filename: "e.png", type: "image/png", data: empty }]),
    form,
  );
  add("empty multipart", text(`--${boundary}--\r\n`), form);
  add("empty json", empty, json);
  add("empty base64", asJson({ image: "" }), json);
  add("empty data url", asJson({ image: "data:image/png;base64," }), json);

  // Huge declared dimensions: the header says more pixels than we ever decode.
  const sides = [4097, 5000, 65535, 100_000, 2 ** 31 - 1, 2 ** 32 - 1];
  for (let i = 0; i < 48; i++) {
    const [w, h] = [pick(sides), i % 3 === 0 ? 1 : pick(sides)];
    const rotated = i % 2 === 0 ? [w, h] : [h, w];
    if (i % 4 < 3) {
      add("huge dimensions", pngClaiming(pick(samples.pngs), rotated[0], rotated[1]), png);
    } else {
      const side = Math.min(65535, Math.max(rotated[0], rotated[1]));
      add("huge dimensions", jpegClaiming(pick(samples.jpegs), side, side), jpegType);
    }
  }
  // Zero dimensions.
  add("zero dimensions", pngClaiming(samples.pngs[0], 0, 28), png);
  add("zero dimensions", pngClaiming(samples.pngs[0], 28, 0), png);
  add("zero dimensions", jpegClaiming(samples.jpegs[0], 0, 0), jpegType);

  // Decompression bombs: tiny files, enormous pixel counts.
  add("bomb 4096x4096 grey (in limits, blank)", pngBomb(4096, 0), png);
  add("bomb 4096x4096 rgba (in limits, blank)", pngBomb(4096, 6), png);
  add("bomb 4096x4096 grey as base64", asJson({ image: base64(pngBomb(4096, 0)) }), json);
  const bigIdat = deflateSync(new Uint8Array(4096 * 4096 + 4096), { level: 9 });
  add("bomb 20000x20000 declared", pngWith(20_000, 20_000, 0, bigIdat), png);
  add("bomb 65535x65535 declared", pngWith(65_535, 65_535, 6, bigIdat.subarray(0, 100)), png);
  add("bomb with short IDAT", pngWith(4096, 4096, 6, bigIdat.subarray(0, 500)), png);
  add("bomb with long IDAT", pngWith(16, 16, 0, bigIdat), png);

  // Wrong content types: declared types we do not read, and bytes that are no image.
  const notImages = [
    text("hello, I am not an image"),
    text("<svg xmlns='http://www.w3.org/2000/svg'></svg>"),
    text("GIF89a\x01\x00\x01\x00\x80\x00\x00"),
    text("RIFF\x24\x00\x00\x00WEBPVP8 "),
    text("BM\x3a\x00\x00\x00"),
    text("%PDF-1.4\n"),
    new Uint8Array([0x89, 0x50, 0x4e, 0x47]),
    new Uint8Array([0xff, 0xd8]),
  ];
  const wrongTypes = [
    "text/plain",
    "text/html",
    "application/xml",
    "image/gif",
    "image/webp",
    "image/svg+xml",
    "application/x-www-form-urlencoded",
    "application/pdf",
    "video/mp4",
    "multipart/mixed; boundary=x",
  ];
  for (let i = 0; i < 60; i++) {
    if (i % 2 === 0) {
      add("wrong content type", pick(samples.pngs), { "Content-Type": pick(wrongTypes) });
    } else add("not an image", pick(notImages), pick([png, jpegType, {}]));
  }
  for (let i = 0; i < 20; i++) {
    add(
      "not an image in multipart",
      multipartBody(boundary, [{ name: "img", filename: "x.png", data: pick(notImages) }]),
      form,
    );
  }

  // Missing, misnamed, repeated and mistyped fields.
  const image = samples.pngs[0];
  const fieldCases: [string, Uint8Array<ArrayBuffer>, Record<string, string>][] = [
    [
      "no img field",
      multipartBody(boundary, [{ name: "image", filename: "a.png", data: image }]),
      form,
    ],
    ["img as text", multipartBody(boundary, [{ name: "img", data: text("not a file") }]), form],
    [
      "img twice",
      multipartBody(boundary, [
        { name: "img", filename: "a.png", data: image },
        { name: "img", filename: "b.png", data: image },
      ]),
      form,
    ],
    [
      "img three times",
      multipartBody(boundary, Array(3).fill({ name: "img", filename: "a.png", data: image })),
      form,
    ],
    ["no boundary", multipartBody(boundary, [{ name: "img", filename: "a.png", data: image }]), {
      "Content-Type": "multipart/form-data",
    }],
    ["wrong boundary", multipartBody(boundary, [{ name: "img", filename: "a.png", data: image }]), {
      "Content-Type": "multipart/form-data; boundary=another",
    }],
    [
      "unterminated multipart",
      text(`--${boundary}\r\nContent-Disposition: form-data; name="img"`),
      form,
    ],
    ["garbage multipart", text("this is not multipart at all"), form],
    ["json without image", asJson({}), json],
    ["json img instead of image", asJson({ img: base64(image) }), json],
    ["json image null", asJson({ image: null }), json],
    ["json image number", asJson({ image: 7 }), json],
    ["json image array", asJson({ image: [base64(image)] }), json],
    ["json image object", asJson({ image: { data: base64(image) } }), json],
    ["json array", asJson([base64(image)]), json],
    ["json string", asJson(base64(image)), json],
    ["json null", asJson(null), json],
    ["json true", asJson(true), json],
    ["json number", asJson(42), json],
    ["json two images", text(`{"image": "${base64(image)}", "image": 5}`), json],
    ["bad json", text('{"image": '), json],
    ["bad json", text("{image: 'abc'}"), json],
    ["bad json", text('{"image": "abc"'), json],
    ["bad json", text("\u0000\u0001\u0002"), json],
    ["bad json utf8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), json],
  ];
  for (let round = 0; round < 4; round++) {
    for (const [name, body, headers] of fieldCases) add(name, body, headers);
  }

  // Invalid base64, and valid base64 of things that are no image.
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const junk = "!@#$%^&*()[]{}<>?~`|\\\"';: \u00e9\u4e2d\u{1F600}";
  for (let i = 0; i < 150; i++) {
    const valid = base64(pick(samples.pngs));
    let value: string;
    switch (i % 6) {
      case 0: { // a junk character in the middle
        const at = Math.floor(random() * valid.length);
        value = valid.slice(0, at) + pick([...junk]) + valid.slice(at + 1);
        break;
      }
      case 1: { // one character too many: no valid base64 has length 4n+1
        const bare = valid.replace(/=+$/, "");
        value = bare + "A".repeat((5 - bare.length % 4) % 4);
        break;
      }
      case 2: // padding in the wrong place
        value = "==" + valid;
        break;
      case 3: // a data URL that is not base64
        value = `data:image/png,${encodeURIComponent("hello")}`;
        break;
      case 4: { // random base64 alphabet: decodes, but to no image
        const length = 4 * (1 + Math.floor(random() * 200));
        value = Array.from({ length }, () => pick([...alphabet])).join("");
        break;
      }
      default: // a data URL with junk
        value = `data:image/png;base64,${junk}`;
    }
    add("invalid base64", asJson({ image: value }), json);
  }

  // Deeply nested and huge JSON (under the body limit, so the parser really sees them).
  for (const depth of [1_000, 10_000, 100_000, 400_000]) {
    add(`nested arrays ${depth}`, text("[".repeat(depth) + "]".repeat(depth)), json);
    add(`nested objects ${depth}`, text('{"image":'.repeat(depth) + "1" + "}".repeat(depth)), json);
    add(`unclosed nesting ${depth}`, text("[".repeat(depth)), json);
  }
  const room = maxBodyBytes - 1024;
  add("huge json string (junk base64)", asJson({ image: "A".repeat(room) }), json);
  add("huge json number list", text(`{"image": [${"0,".repeat(room / 2 - 10)}0]}`), json);
  add(
    "huge json many keys",
    text(`{${Array.from({ length: room / 16 }, (_, i) => `"k${i}":1`).join(",")}}`),
    json,
  );
  add("huge json long key", text(`{"${"k".repeat(room)}": 1}`), json);

  // Bodies over the limit: declared, and the same length with a content type of each kind.
  const over = new Uint8Array(maxBodyBytes + 1);
  over.set(samples.pngs[0]);
  add("over the limit raw", over, png);
  add("over the limit octet-stream", over, { "Content-Type": "application/octet-stream" });
  add(
    "over the limit multipart",
    multipartBody(boundary, [{ name: "img", filename: "a.png", data: over }]),
    form,
  );
  add("over the limit json", asJson({ image: "A".repeat(maxBodyBytes + 4) }), json);
  add("far over the limit", new Uint8Array(maxBodyBytes * 3), png);

  // Model names that are paths, or no model at all.
  const names = [
    "../../etc/passwd",
    "..%2F..%2Fetc%2Fpasswd",
    "cnn%00",
    "/etc/passwd",
    "models/cnn",
    "CNN",
    "cnn.onnx",
    " cnn",
    "\u0000",
    "..",
    ".",
    "x".repeat(5000),
    "%252e%252e%252f",
  ];
  for (const name of names) {
    add("unknown model", image, png, "4xx", `/predict?model=${encodeURIComponent(name)}`);
  }
  // Raw too, except names a URL parser trims to nothing (leaving `?model=`: the default).
  for (const name of names.filter((n) => n.replace(/[\0 ]/g, "") !== "")) {
    add("unknown model raw query", image, png, "4xx", `/predict?model=${name}`);
  }

  // Methods other than POST.
  for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
    add(`method ${method}`, method === "GET" ? undefined : image, png, "4xx", "/predict", method);
  }
  return inputs;
}
