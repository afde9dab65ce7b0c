// Colours and numbers. The colours mean what they mean in the rest of backprop-lab (its figures
// and report.html, see backprop_lab/plots/style.py), one meaning each:
//   classes:  the Okabe-Ito palette in order: class 0 blue #0072B2, class 1 orange #E69F00, ...
//   p(class 1) of a two-class network: class 0's blue, white #f7f7f7 at 0.5 (undecided), class 1's orange
//   softmax output k: white (p = 0) to class k's colour (p = 1)
//   weights, biases and their gradients: purple #762a83 positive, green #1b7837 negative
//   hidden units' (and inputs') pictures: matplotlib's cividis, dark blue low, yellow high
//   a regression's value: matplotlib's RdBu_r, blue low, white 0, red high (symmetric around 0)

export const CLASS_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
export const POSITIVE = "#762a83"; // a positive weight
export const NEGATIVE = "#1b7837"; // a negative weight
export const WHITE = [247, 247, 247]; // #f7f7f7: zero, undecided, the middle of a scale
// How far the output plot's background goes towards white, so that the points on it stay visible.
export const BACKGROUND_PALE = 0.62;

// matplotlib's "cividis" and "RdBu_r", 256 colours each (rrggbb).
const CIVIDIS_HEX = "00224e00234f00245100255300255400265600275800285900285b00295d002a5f002a61002b62002c64002c66002d68002e6a002e6c002f6d00306f0030700031700031710132710533710833700c34700f357012357014367016377018376f1a386f1c396f1e3a6f203a6f213b6e233c6e243c6e263d6e273e6e293f6e2a3f6d2b406d2d416d2e416d2f426d31436d32436d33446d34456c35456c36466c38476c39486c3a486c3b496c3c4a6c3d4a6c3e4b6c3f4c6c404c6c414d6c424e6c434e6c444f6c45506c46516c47516c48526c49536c4a536c4b546c4c556c4d556c4e566c4f576c50576c51586d52596d535a6d545a6d555b6d555c6d565c6d575d6d585e6d595e6e5a5f6e5b606e5c616e5d616e5e626e5e636f5f636f60646f61656f62656f636670646770656870656870666970676a71686a71696b716a6c716b6d726c6d726c6e726d6f726e6f736f70737071737172747272747273747374757474757575757676767777767777777878777979777a7a787b7a787c7b787d7c787e7c787e7d787f7e78807f78817f788280798381798482798582798683798784788885788985788a86788b87788c88788d88788e89788f8a78908b78918b78928c78928d78938e78948e77958f779690779791779892779992779a93769b94769c95769d95769e96769f9775a09875a19975a29975a39a74a49b74a59c74a69c74a79d73a89e73a99f73aaa073aba072aca172ada272aea371afa471b0a571b1a570b3a670b4a76fb5a86fb6a96fb7a96eb8aa6eb9ab6dbaac6dbbad6dbcae6cbdae6cbeaf6bbfb06bc0b16ac1b26ac2b369c3b369c4b468c5b568c6b667c7b767c8b866c9b965cbb965ccba64cdbb63cebc63cfbd62d0be62d1bf61d2c060d3c05fd4c15fd5c25ed6c35dd7c45cd9c55cdac65bdbc75adcc859ddc858dec958dfca57e0cb56e1cc55e2cd54e4ce53e5cf52e6d051e7d150e8d24fe9d34eead34cebd44bedd54aeed649efd748f0d846f1d945f2da44f3db42f5dc41f6dd3ff7de3ef8df3cf9e03afbe138fce236fde334fee434fee535fee636fee838";
const RDBU_R_HEX = "05306106326407346708366a09386d0a3b700c3d730d3f760e41790f437b10457e114781124984134c87144e8a15508d1752901854931956961a58991b5a9c1c5c9f1d5fa21e61a51f63a82065ab2267ac2369ad246aae266caf276eb02870b12a71b22b73b32c75b42e77b52f79b5307ab6327cb7337eb83480b93681ba3783bb3885bc3a87bd3b88be3c8abe3e8cbf3f8ec0408fc14291c24393c34695c44997c54c99c64f9bc7529dc8569fc959a1ca5ca3cb5fa5cd62a7ce65a9cf68abd06bacd16eaed271b0d375b2d478b4d57bb6d67eb8d781bad884bcd987beda8ac0db8dc2dc90c4dd93c6de96c7df98c8e09bc9e09dcbe1a0cce2a2cde3a5cee3a7d0e4a9d1e5acd2e5aed3e6b1d5e7b3d6e8b6d7e8b8d8e9bbdaeabddbeac0dcebc2ddecc5dfecc7e0edcae1eecce2efcfe4efd1e5f0d2e6f0d4e6f1d5e7f1d7e8f1d8e9f1dae9f2dbeaf2ddebf2deebf2e0ecf3e1edf3e3edf3e4eef4e6eff4e7f0f4e9f0f4eaf1f5ecf2f5edf2f5eff3f5f0f4f6f2f5f6f3f5f6f5f6f7f6f7f7f7f6f6f7f5f4f8f4f2f8f3f0f8f2eff8f1edf9f0ebf9efe9f9eee7f9ede5f9ebe3faeae1fae9dffae8defae7dcfbe6dafbe5d8fbe4d6fbe3d4fce2d2fce0d0fcdfcffcdecdfdddcbfddcc9fddbc7fdd9c4fcd7c2fcd5bffcd3bcfbd0b9fbceb7fbccb4facab1fac8aff9c6acf9c4a9f9c2a7f8bfa4f8bda1f8bb9ef7b99cf7b799f7b596f6b394f6b191f6af8ef5ac8bf5aa89f5a886f4a683f3a481f2a17ff19e7df09c7bef9979ee9677ec9374eb9172ea8e70e98b6ee8896ce6866ae58368e48066e37e64e27b62e17860df765ede735cdd7059dc6e57db6b55da6853d86551d7634fd6604dd55d4cd35a4ad25849d05548cf5246ce4f45cc4c44cb4942c94741c84440c6413ec53e3dc43b3cc2383ac13639bf3338be3036bd2d35bb2a34ba2832b82531b72230b61f2eb41c2db3192cb1182bae172aab162aa81529a51429a213289f12289c1127991027960f27930e26900d268d0c258a0b25870a248409248108237f08237c07227906227605217304217003206d02206a011f67001f";

export function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function table(hex) {
  const out = [];
  for (let i = 0; i < 256; i++) out.push(hexToRgb(`#${hex.slice(6 * i, 6 * i + 6)}`));
  return out;
}
const CIVIDIS = table(CIVIDIS_HEX);
const RDBU_R = table(RDBU_R_HEX);
const CLASS_RGB = CLASS_COLORS.map(hexToRgb);
const POSITIVE_RGB = hexToRgb(POSITIVE), NEGATIVE_RGB = hexToRgb(NEGATIVE);

export function classColor(k) {
  return CLASS_COLORS[((k % CLASS_COLORS.length) + CLASS_COLORS.length) % CLASS_COLORS.length];
}

export function classRgb(k) {
  return CLASS_RGB[((k % CLASS_RGB.length) + CLASS_RGB.length) % CLASS_RGB.length];
}

export function mix(a, b, t) {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

export function css(c, alpha = 1) {
  return alpha === 1 ? `rgb(${c[0] | 0},${c[1] | 0},${c[2] | 0})` : `rgba(${c[0] | 0},${c[1] | 0},${c[2] | 0},${alpha})`;
}

const clamp01 = (t) => (t < 0 ? 0 : t > 1 ? 1 : t);

// cividis at t in [0, 1] (dark blue low, yellow high).
export function cividisRgb(t) {
  return CIVIDIS[Math.round(255 * clamp01(t))];
}

// RdBu_r at t in [0, 1] (blue low, white 0.5, red high).
export function rdbuRgb(t) {
  return RDBU_R[Math.round(255 * clamp01(t))];
}

// A regression value v on RdBu_r, symmetric around 0: ±m are the ends.
export function valueRgb(v, m) {
  return rdbuRgb(0.5 + 0.5 * (m > 0 ? v / m : 0));
}

// p(class 1): class 0's blue at 0, white at 0.5, class 1's orange at 1.
export function probabilityRgb(p) {
  if (!(p === p)) return [160, 160, 160];
  p = clamp01(p);
  return p < 0.5 ? mix(CLASS_RGB[0], WHITE, p / 0.5) : mix(WHITE, CLASS_RGB[1], (p - 0.5) / 0.5);
}

// A weight (or bias, or gradient) of signed strength s in [-1, 1]: -1 green, 0 white, +1 purple.
export function weightRgb(s) {
  if (!(s === s)) return [160, 160, 160];
  s = Math.max(-1, Math.min(1, s));
  return s < 0 ? mix(WHITE, NEGATIVE_RGB, -s) : mix(WHITE, POSITIVE_RGB, s);
}

export function weightCss(s, alpha = 1) {
  return css(weightRgb(s), alpha);
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
function pack(c) {
  const r = Math.round(c[0]), g = Math.round(c[1]), b = Math.round(c[2]);
  return littleEndian ? ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 255) >>> 0;
}

export function packRgb(c) {
  return pack(c);
}

// 256-entry lookup tables (packed RGBA, for a Uint32Array view of ImageData) for the bytes of a
// map scaled over [lo, hi] (byte i is the value lo + (hi - lo)·i/255). `pale` in [0, 1] mixes
// every colour that far towards white (the output plot's background, under its points).
function lutOf(lo, hi, colour, pale = 0) {
  const lut = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    const c = colour(lo + (hi - lo) * (i / 255));
    lut[i] = pack(pale ? mix(c, WHITE, pale) : c);
  }
  return lut;
}

// A hidden unit's (or an input's) picture: cividis over [lo, hi].
export function unitLut(lo, hi) {
  return lutOf(lo, hi, (v) => cividisRgb(hi > lo ? (v - lo) / (hi - lo) : 0.5));
}

// p(class 1) of a two-class output; `discrete`: each side's full colour.
export function probabilityLut(lo, hi, { discrete = false, pale = 0 } = {}) {
  return lutOf(lo, hi, (v) => probabilityRgb(discrete ? (v < 0.5 ? 0 : 1) : v), pale);
}

// A regression's value: RdBu_r, symmetric around 0 over the largest |end| of [lo, hi];
// `discrete`: the full colour of its sign.
export function valueLut(lo, hi, { discrete = false, pale = 0 } = {}) {
  const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  return lutOf(lo, hi, (v) => (discrete ? rdbuRgb(v < 0 ? 0.1 : 0.9) : valueRgb(v, m)), pale);
}

// Softmax output k's own picture: white (p = 0) to class k's colour (p = 1).
export function classLut(k, lo, hi) {
  const c = classRgb(k);
  return lutOf(lo, hi, (v) => mix(WHITE, c, clamp01(v)));
}

export function packedClass(k, strength, pale = 0) {
  const c = mix(WHITE, classRgb(k), clamp01(strength));
  return pack(pale ? mix(c, WHITE, pale) : c);
}

// CSS gradients for the legends' colour bars.
export function barCss(kind, k = 0) {
  const stops = (f) => Array.from({ length: 11 }, (_, i) => css(f(i / 10))).join(", ");
  if (kind === "unit") return `linear-gradient(90deg, ${stops(cividisRgb)})`;
  if (kind === "value") return `linear-gradient(90deg, ${stops(rdbuRgb)})`;
  if (kind === "probability") return `linear-gradient(90deg, ${stops(probabilityRgb)})`;
  if (kind === "weight") return `linear-gradient(90deg, ${stops((t) => weightRgb(2 * t - 1))})`;
  if (kind === "class") return `linear-gradient(90deg, ${css(WHITE)}, ${classColor(k)})`;
  return "none";
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
    const [m, e] = v.toExponential(Math.max(0, digits - 1)).split("e");
    return `${trimZeros(m)}e${e.replace("+", "")}`;
  }
  return trimZeros(v.toPrecision(digits));
}

function trimZeros(text) {
  if (!text.includes(".")) return text;
  return text.replace(/0+$/, "").replace(/\.$/, "");
}

// The number `fmt` writes, read back (what a student computing by hand would use).
export function shown(v, digits = 4) {
  return Number(fmt(v, digits));
}

// In formulas: a negative number in brackets after an operator ("0.31·x1 + (-0.2)·x2").
export function term(v, digits = 4) {
  const t = fmt(v, digits);
  return t.startsWith("-") ? `(${t})` : t;
}

// "=" when `value` written with `digits` digits is what the written numbers give, else "≈".
export function equalsSign(written, value, digits = 4) {
  return fmt(written, digits) === fmt(value, digits) ? "=" : "≈";
}

export function isFiniteNumber(v) {
  return typeof v === "number" && Number.isFinite(v);
}

// The same digits as the epoch counter: a plain whole number.
export function intText(v) {
  return String(Math.round(v));
}
