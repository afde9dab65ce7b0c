// Colours and numbers: ONE colour meaning everywhere on the page.
//   orange = negative (or the low end of a scale) = class 0
//   blue   = positive (or the high end of a scale) = class 1
//   near-white = zero (the middle of a scale)
// Classes beyond two (spiral with K arms) take further colours of CLASS_COLORS.

export const ORANGE = [245, 147, 34]; // #f59322 (TensorFlow Playground's)
export const BLUE = [8, 119, 189]; // #0877bd
export const MIDDLE = [244, 245, 246]; // #f4f5f6

export const CLASS_COLORS = [
  "#f59322", "#0877bd", "#2ca02c", "#9467bd", "#d62728",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
];

export function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const CLASS_RGB = CLASS_COLORS.map(hexToRgb);

export function classRgb(k) {
  return CLASS_RGB[((k % CLASS_RGB.length) + CLASS_RGB.length) % CLASS_RGB.length];
}

function mix(a, b, t) {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

// Colour of s in [-1, 1]: -1 orange, 0 middle, +1 blue.
export function divergingRgb(s) {
  if (!(s === s)) return [160, 160, 160];
  s = Math.max(-1, Math.min(1, s));
  return s < 0 ? mix(MIDDLE, ORANGE, -s) : mix(MIDDLE, BLUE, s);
}

export function divergingCss(s, alpha = 1) {
  const c = divergingRgb(s);
  return `rgba(${c[0] | 0},${c[1] | 0},${c[2] | 0},${alpha})`;
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
function pack(c) {
  const r = Math.round(c[0]), g = Math.round(c[1]), b = Math.round(c[2]);
  return littleEndian ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
}

// A 256-entry lookup table (packed RGBA, for a Uint32Array view of ImageData) of the bytes of a
// map scaled over [lo, hi]: the colour's white point is 0 when the range straddles 0, else the
// range's middle. With `discrete`, every byte takes the full colour of its side.
export function makeLut(lo, hi, discrete = false) {
  const lut = new Uint32Array(256);
  const centre = lo < 0 && hi > 0 ? 0 : (lo + hi) / 2;
  const below = centre - lo || 1, above = hi - centre || 1;
  for (let i = 0; i < 256; i++) {
    const v = lo + (hi - lo) * (i / 255);
    let s = v < centre ? (v - centre) / below : (v - centre) / above;
    if (discrete) s = v < centre ? -1 : 1;
    lut[i] = pack(divergingRgb(s));
  }
  return lut;
}

// The signed strength in [-1, 1] that `value` gets on a scale over [lo, hi].
export function strengthOn(value, lo, hi) {
  const centre = lo < 0 && hi > 0 ? 0 : (lo + hi) / 2;
  if (value < centre) return Math.max(-1, (value - centre) / ((centre - lo) || 1));
  return Math.min(1, (value - centre) / ((hi - centre) || 1));
}

export function packedClass(k, strength) {
  return pack(mix(MIDDLE, classRgb(k), strength));
}

export function packRgb(c) {
  return pack(c);
}

// --------------------------------------------------------------------------- numbers

// JSON carries NaN and the infinities as strings.
export function toNumber(v) {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isNaN(n) ? NaN : n;
}

// A number with `digits` significant digits, without needless zeros: 0.1682, -3.2e-5, 12.5.
export function fmt(v, digits = 4) {
  v = toNumber(v);
  if (v === null) return "–";
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-4) {
    const [m, e] = v.toExponential(Math.max(0, digits - 2)).split("e");
    return `${trimZeros(m)}e${e.replace("+", "")}`;
  }
  return trimZeros(v.toPrecision(digits));
}

function trimZeros(text) {
  if (!text.includes(".")) return text;
  return text.replace(/0+$/, "").replace(/\.$/, "");
}

// In formulas: a negative number in brackets after an operator ("0.31·x1 + (-0.2)·x2").
export function term(v, digits = 3) {
  const t = fmt(v, digits);
  return t.startsWith("-") ? `(${t})` : t;
}

export function isFiniteNumber(v) {
  return typeof v === "number" && Number.isFinite(v);
}

// The same digits as the epoch counter: a plain whole number.
export function intText(v) {
  return String(Math.round(v));
}
