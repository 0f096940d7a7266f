// One custom kernel for the training loop: the transpose of a 2-D float32 matrix with a row of
// ones appended, [x | 1]ᵀ. With kernel and bias stored next to each other in the flat parameter
// vector, [aᵀ; 1] · dz is the gradient of both in one matMul, instead of a matMul for the kernel
// and another (a row of ones times dz, which makes XNNPACK repack dz) for the bias. Writing the
// transpose and the ones row in one pass saves the concat a standard-ops version needs; the copy
// itself is no faster than tfjs's Transpose (measured), and far faster than a matMul with a
// transposed operand, which tfjs-wasm runs as a scalar loop. Registered for the wasm and cpu
// backends; any other backend (tfjs-node) gets the same values from standard ops.
import { tf } from './tf.ts';

const KERNEL = 'RudderTransposeOnes';
const registered = new Set<string>();

interface WasmLike {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}
interface CpuLike {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

const BLOCK = 32;

/** dst (cols+ones) × rows ← transpose of src rows × cols, then a row of ones when `ones`. */
function transposeInto(
  src: Float32Array,
  dst: Float32Array,
  rows: number,
  cols: number,
  ones: boolean,
): void {
  for (let r0 = 0; r0 < rows; r0 += BLOCK) {
    const r1 = Math.min(rows, r0 + BLOCK);
    for (let c0 = 0; c0 < cols; c0 += BLOCK) {
      const c1 = Math.min(cols, c0 + BLOCK);
      for (let r = r0; r < r1; r++) {
        const s = r * cols;
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[s + c]!;
      }
    }
  }
  if (ones) dst.fill(1, cols * rows, (cols + 1) * rows);
}

function register(backendName: string): boolean {
  if (registered.has(backendName)) return true;
  if (backendName !== 'wasm' && backendName !== 'cpu') return false;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const x = inputs.x as tf.TensorInfo;
      const ones = (attrs as { ones: boolean }).ones;
      const [rows, cols] = x.shape as [number, number];
      const shape = [cols + (ones ? 1 : 0), rows];
      if (backendName === 'wasm') {
        const b = backend as unknown as WasmLike;
        const out = b.makeOutput(shape, 'float32');
        // Read the heap views after allocating: the allocation may have grown the heap.
        transposeInto(b.typedArrayFromHeap(x), b.typedArrayFromHeap(out), rows, cols, ones);
        return out;
      }
      const b = backend as unknown as CpuLike;
      const dst = new Float32Array(shape[0]! * shape[1]!);
      transposeInto(b.data.get(x.dataId).values, dst, rows, cols, ones);
      return b.makeTensorInfo(shape, 'float32', dst);
    },
  });
  registered.add(backendName);
  return true;
}

/** [x | 1]ᵀ (or xᵀ when `ones` is false) for a float32 matrix. */
export function transposeOnes(x: tf.Tensor2D, ones: boolean): tf.Tensor2D {
  if (x.dtype === 'float32' && register(tf.getBackend()))
    return tf.engine().runKernel<tf.Tensor2D>(KERNEL, { x }, { ones });
  const t = tf.transpose(x);
  return ones ? tf.concat([t, tf.ones([1, x.shape[0]])], 0) : t;
}
