import { onnx } from 'onnx-proto';
import { packModelArchive, unpackModelArchive } from '../../../pipelines/common/model-archive';
import { floatTensor, node } from '../../../pipelines/trainer/onnx/graph';

/**
 * A model archive that answers exactly as `archive` does for rows whose every feature is at most its bound in
 * `upperBounds`, and fails in onnxruntime for a batch holding any row beyond: the served output gets a zero looked up
 * in a one-entry table at the index ceil(max(0, x - bound)), which is out of the table's bounds past a bound. This is a
 * real class of defect (a model exported with a lookup that only covers the training range): it reproduces its
 * evaluation on the holdout set, which the deployment's holdout check runs, and fails on live requests outside that
 * range. The canary drill deploys it to see the canary watch catch what the holdout check cannot. Bounds below 0 are
 * raised to 0, so the one-row probe of zeros that loads a model passes.
 */
export async function rangeFragileArchive(archive: Uint8Array, upperBounds: readonly number[]): Promise<Buffer> {
  const { onnx: bytes, metadata } = await unpackModelArchive(archive, 'the live model archive');
  if (upperBounds.length !== metadata.features.length) {
    throw new Error(`expected ${metadata.features.length} bounds (one per feature), got ${upperBounds.length}`);
  }
  // The live model's own archive, which the deployment loaded: a decode failure here is a bug, not bad input.
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  const served = metadata.outputName;
  const producer = graph.node?.find((n) => n.output?.includes(served));
  if (!producer) throw new Error(`the model has no node producing its output ${served}`);
  const name = (part: string) => `${served}__drill_${part}`;
  producer.output = producer.output!.map((o) => (o === served ? name('inner') : o));
  graph.initializer = [
    ...(graph.initializer ?? []),
    floatTensor(name('bounds'), [upperBounds.length], upperBounds.map((b) => Math.max(0, b))),
    floatTensor(name('table'), [1], [0]),
  ];
  graph.node = [
    ...(graph.node ?? []),
    node('Sub', [metadata.inputName, name('bounds')], [name('excess')]),
    node('Relu', [name('excess')], [name('beyond')]),
    node('Ceil', [name('beyond')], [name('steps')]),
    node('ReduceMax', [name('steps')], [name('most')], { keepdims: 0 }),
    node('Cast', [name('most')], [name('index')], { to: onnx.TensorProto.DataType.INT64 }),
    node('Gather', [name('table'), name('index')], [name('zero')]),
    // The served output is the model's own plus that zero: the same numbers, now depending on the lookup.
    node('Add', [name('inner'), name('zero')], [served]),
  ];
  return packModelArchive(onnx.ModelProto.encode(model).finish(), metadata);
}
