// The spectrum view's FFT: radix-2, in place, on the scope frames the server
// streams. Pure (web/test/fft.test.js).

/** In-place FFT of (re, im), both of length n = 2^k (Float64Array). */
export function fft(re, im) {
  const n = re.length;
  if (n !== im.length || n === 0 || (n & (n - 1)) !== 0) {
    throw new RangeError(`fft: length ${n} is not a power of two`);
  }
  // Bit-reversal permutation.
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b] * cr - im[b] * ci;
        const ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
        const nr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = nr;
      }
    }
  }
}

const hannCache = new Map();
/** The Hann window of length n (cached). */
export function hann(n) {
  let w = hannCache.get(n);
  if (!w) {
    w = new Float64Array(n);
    for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    hannCache.set(n, w);
  }
  return w;
}

/** The largest power of two <= n (0 for n < 1). */
export function floorPow2(n) {
  if (!(n >= 1)) return 0;
  return 2 ** Math.floor(Math.log2(n));
}

/**
 * The magnitude spectrum of the last n samples of `samples` (n the largest
 * power of two that fits, at most maxSize), Hann windowed, in dBFS: a full
 * scale sine reads 0 dB at its bin. Returns { db: Float64Array(n / 2 + 1),
 * binHz } or null when fewer than 16 samples are given.
 */
export function spectrum(samples, rate, maxSize = 4096) {
  const n = Math.min(floorPow2(samples.length), maxSize);
  if (n < 16) return null;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const w = hann(n);
  const off = samples.length - n;
  for (let i = 0; i < n; i++) re[i] = samples[off + i] * w[i];
  fft(re, im);
  const db = new Float64Array(n / 2 + 1);
  // Hann's coherent gain is 1/2; a sine of amplitude A gives A * n / 4 at its bin.
  const norm = 4 / n;
  for (let k = 0; k <= n / 2; k++) {
    const mag = Math.hypot(re[k], im[k]) * norm;
    db[k] = mag > 1e-10 ? 20 * Math.log10(mag) : -200;
  }
  return { db, binHz: rate / n };
}
