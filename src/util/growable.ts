/** Append-only typed arrays with amortised doubling; `view()` is a zero-copy window of the filled part. */
export class GrowableInt32 {
  data: Int32Array;
  length = 0;
  constructor(capacity = 16) {
    this.data = new Int32Array(Math.max(4, capacity));
  }
  push(value: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = value;
  }
  grow(minCapacity: number): void {
    if (minCapacity <= this.data.length) return;
    const next = new Int32Array(Math.max(minCapacity, this.data.length * 2));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

export class GrowableFloat32 {
  data: Float32Array;
  length = 0;
  constructor(capacity = 16) {
    this.data = new Float32Array(Math.max(4, capacity));
  }
  push(value: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = value;
  }
  grow(minCapacity: number): void {
    if (minCapacity <= this.data.length) return;
    const next = new Float32Array(Math.max(minCapacity, this.data.length * 2));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  view(): Float32Array {
    return this.data.subarray(0, this.length);
  }
}

/** Grows a typed array to at least `minLength`, preserving contents; new slots are zero. */
export function ensureInt32(array: Int32Array, minLength: number): Int32Array {
  if (array.length >= minLength) return array;
  const next = new Int32Array(Math.max(minLength, array.length * 2));
  next.set(array);
  return next;
}

export function ensureUint8(array: Uint8Array, minLength: number): Uint8Array {
  if (array.length >= minLength) return array;
  const next = new Uint8Array(Math.max(minLength, array.length * 2));
  next.set(array);
  return next;
}
