import { onnx } from 'onnx-proto';

/**
 * Small builders over onnx-proto's ModelProto, so the exporters read as a list of nodes. The opsets are ones
 * onnxruntime 1.30 runs: ai.onnx 17 and ai.onnx.ml 3 (the last opset with TreeEnsembleClassifier/Regressor
 * before they were folded into TreeEnsemble).
 */

const ONNX_OPSET = 17;
const ONNX_ML_OPSET = 3;
export const ML_DOMAIN = 'ai.onnx.ml';
/** The model's input: one 2-D float tensor [batch, features], features in config order. */
export const INPUT_NAME = 'features';
/** Classification: [batch, 2] class probabilities. Regression: [batch, 1] predicted values. */
export const PROBABILITIES_OUTPUT = 'probabilities';
export const PREDICTIONS_OUTPUT = 'predictions';
export const LABEL_OUTPUT = 'label';

const { AttributeType } = onnx.AttributeProto;
const { DataType } = onnx.TensorProto;

const utf8 = (s: string) => new TextEncoder().encode(s);

export type AttributeValue = number | string | number[] | string[] | { floats: number[] } | { ints: number[] };

/** An attribute; plain number arrays are ints, wrap float lists as `{ floats }` (a whole-number float list would look like ints). */
function attribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: utf8(value) };
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) {
      return { name, type: AttributeType.STRINGS, strings: (value as string[]).map(utf8) };
    }
    return { name, type: AttributeType.INTS, ints: value as number[] };
  }
  if ('floats' in value) return { name, type: AttributeType.FLOATS, floats: value.floats };
  return { name, type: AttributeType.INTS, ints: value.ints };
}

export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, AttributeValue> = {},
  domain = '',
): onnx.INodeProto {
  return {
    opType,
    domain,
    input: inputs,
    output: outputs,
    name: `${opType}_${outputs[0]}`,
    attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
  };
}

export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): onnx.ITensorProto {
  return { name, dims, dataType: DataType.FLOAT, floatData: Array.from(values, Math.fround) };
}

type Dim = number | string;
function tensorInfo(name: string, elemType: number, dims: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
export const floatInfo = (name: string, dims: Dim[]) => tensorInfo(name, DataType.FLOAT, dims);
export const int64Info = (name: string, dims: Dim[]) => tensorInfo(name, DataType.INT64, dims);

/** Serialises a one-graph model. Same arguments, same bytes: protobufjs writes fields in schema order. */
export function encodeModel(graph: onnx.IGraphProto, docString: string): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'mlops-trainer',
    producerVersion: '1',
    docString,
    opsetImport: [
      { domain: '', version: ONNX_OPSET },
      { domain: ML_DOMAIN, version: ONNX_ML_OPSET },
    ],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
