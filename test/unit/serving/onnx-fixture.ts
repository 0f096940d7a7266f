// A tiny ONNX model written byte by byte (protobuf wire format), so tests need neither Python nor
// an ONNX builder package: y = sigmoid?(where(isnan(x), 0, x) · W + b), x float32 [batch, D].
// Field numbers are from onnx/onnx.proto (ModelProto, GraphProto, NodeProto, TensorProto,
// ValueInfoProto, TypeProto, TensorShapeProto, OperatorSetIdProto).

function varint(n: number): number[] {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const key = (field: number, wire: number): number[] => varint((field << 3) | wire);
const vint = (field: number, n: number): number[] => [...key(field, 0), ...varint(n)];
const bytes = (field: number, b: number[] | Uint8Array): number[] => [
  ...key(field, 2),
  ...varint(b.length),
  ...b,
];
const str = (field: number, s: string): number[] => bytes(field, [...new TextEncoder().encode(s)]);

function tensor(name: string, dims: number[], values: number[]): number[] {
  const raw = new Uint8Array(new Float32Array(values).buffer);
  return [...dims.flatMap((d) => vint(1, d)), ...vint(2, 1 /* FLOAT */), ...str(8, name), ...bytes(9, raw)];
}
function valueInfo(name: string, dims: (number | string)[]): number[] {
  const dim = dims.flatMap((d) => bytes(1, typeof d === 'number' ? vint(1, d) : str(2, d)));
  const tensorType = [...vint(1, 1), ...bytes(2, dim)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
}
function node(op: string, inputs: string[], outputs: string[]): number[] {
  return [
    ...inputs.flatMap((i) => str(1, i)),
    ...outputs.flatMap((o) => str(2, o)),
    ...str(3, `${op}_${outputs[0]}`),
    ...str(4, op),
  ];
}

/** ONNX bytes of a linear (or logistic) model over D inputs named `input`, output `output` [batch, 1]. */
export function linearOnnx(opts: {
  weights: number[];
  bias: number;
  sigmoid: boolean;
  input?: string;
  output?: string;
}): Uint8Array {
  const D = opts.weights.length;
  const input = opts.input ?? 'features';
  const output = opts.output ?? 'score';
  const nodes = [
    node('IsNaN', [input], ['isnan']),
    node('Where', ['isnan', 'zero', input], ['clean']),
    node('MatMul', ['clean', 'W'], ['mm']),
    node('Add', ['mm', 'b'], opts.sigmoid ? ['logit'] : [output]),
    ...(opts.sigmoid ? [node('Sigmoid', ['logit'], [output])] : []),
  ];
  const graph = [
    ...nodes.flatMap((n) => bytes(1, n)),
    ...str(2, 'rudder_test'),
    ...bytes(5, tensor('W', [D, 1], opts.weights)),
    ...bytes(5, tensor('b', [1], [opts.bias])),
    ...bytes(5, tensor('zero', [], [0])),
    ...bytes(11, valueInfo(input, ['batch', D])),
    ...bytes(12, valueInfo(output, ['batch', 1])),
  ];
  const model = [
    ...vint(1, 8),
    ...str(2, 'rudder-test'),
    ...bytes(7, graph),
    ...bytes(8, [...str(1, ''), ...vint(2, 13)]),
  ];
  return new Uint8Array(model);
}
