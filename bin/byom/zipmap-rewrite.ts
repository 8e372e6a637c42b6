import { onnx } from 'onnx-proto';
import { floatInfo } from '../../pipelines/trainer/onnx/graph';

/**
 * ZipMap outputs. skl2onnx's classifiers end, by default, in a ZipMap node that turns the [N, K] probability tensor
 * into a sequence of {class label: probability} maps, and return only that and the label: onnxruntime-node cannot
 * return a sequence of maps, so such a model cannot be served as it is. Registration rewrites it to return the
 * ZipMap's input tensor instead; the class labels the ZipMap names its columns by tell the columns' order.
 */

/** A ZipMap node whose output the graph returns. */
export interface ZipMapOutput {
  /** The graph output it produces (skl2onnx: `output_probability`). */
  output: string;
  /** Its input: the [N, K] float probability tensor. */
  probabilities: string;
  /** The class label of each probability column (its classlabels_strings or classlabels_int64s attribute). */
  classLabels: (string | number)[];
}

/** The bytes cannot be read as an ONNX ModelProto. */
export class OnnxParseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The ONNX ModelProto of `bytes`; OnnxParseError when they are not one. */
export function parseOnnxModel(bytes: Uint8Array): onnx.ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new OnnxParseError(`not an ONNX model: ${(error as Error).message}`, { cause: error });
  }
}

/** The ZipMap nodes of the main graph whose outputs are graph outputs. */
export function zipMapOutputs(model: onnx.ModelProto): ZipMapOutput[] {
  const returned = new Set((model.graph?.output ?? []).map((o) => o.name));
  return (model.graph?.node ?? []).flatMap((n) => {
    const [output, ...others] = n.output ?? [];
    const [probabilities] = n.input ?? [];
    const isReturnedZipMap = n.opType === 'ZipMap' && n.domain === 'ai.onnx.ml' && others.length === 0 && returned.has(output);
    return isReturnedZipMap && probabilities ? [{ output, probabilities, classLabels: classLabelsOf(n) }] : [];
  });
}

function classLabelsOf(node: onnx.INodeProto): (string | number)[] {
  const attributes = node.attribute ?? [];
  const strings = attributes.find((a) => a.name === 'classlabels_strings')?.strings ?? [];
  if (strings.length > 0) return strings.map((s) => new TextDecoder().decode(s));
  const ints = attributes.find((a) => a.name === 'classlabels_int64s')?.ints ?? [];
  return ints.map((i) => Number(i.toString()));
}

/**
 * The model (`onnxBytes`) with the ZipMap node removed and its input tensor returned in place of its output; every
 * other node, initializer and output is kept. Refused when another node reads the ZipMap's output.
 */
export function exposeZipMapInput(onnxBytes: Uint8Array, zipMap: ZipMapOutput): Uint8Array {
  const model = parseOnnxModel(onnxBytes);
  const graph = model.graph as onnx.GraphProto;
  const readers = graph.node.filter((n) => n.input?.includes(zipMap.output));
  if (readers.length > 0) {
    throw new OnnxParseError(`ZipMap output "${zipMap.output}" is also read by node "${readers[0].name || readers[0].opType}"; it cannot be removed`);
  }
  graph.node = graph.node.filter((n) => !(n.opType === 'ZipMap' && n.output?.[0] === zipMap.output));
  const returned = graph.output.filter((o) => o.name !== zipMap.output);
  if (!returned.some((o) => o.name === zipMap.probabilities)) {
    returned.push(onnx.ValueInfoProto.fromObject(floatInfo(zipMap.probabilities, ['N', zipMap.classLabels.length])));
  }
  graph.output = returned;
  return onnx.ModelProto.encode(model).finish();
}
