import type { TreeEnsembleModel } from '../algorithms/gradient-boosting';
import {
  encodeModel,
  floatInfo,
  INPUT_NAME,
  int64Info,
  LABEL_OUTPUT,
  ML_DOMAIN,
  node,
  PREDICTIONS_OUTPUT,
  PROBABILITIES_OUTPUT,
} from './graph';

/**
 * Exports boosted trees as ai.onnx.ml TreeEnsembleClassifier (binary: one score per leaf for class 0's slot,
 * base value = prior log-odds, post_transform LOGISTIC, so onnxruntime returns [1 - p, p]) or
 * TreeEnsembleRegressor. No ZipMap: onnxruntime-node cannot return maps, and the platform reads the
 * probabilities tensor.
 */
export function exportTreeEnsemble(model: TreeEnsembleModel): Uint8Array {
  const nodes = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    featureIds: [] as number[],
    modes: [] as string[],
    values: [] as number[],
    trueIds: [] as number[],
    falseIds: [] as number[],
  };
  const leaves = { treeIds: [] as number[], nodeIds: [] as number[], weights: [] as number[] };
  model.trees.forEach((tree, treeId) => {
    tree.forEach((treeNode, nodeId) => {
      nodes.treeIds.push(treeId);
      nodes.nodeIds.push(nodeId);
      if (treeNode.kind === 'split') {
        nodes.featureIds.push(treeNode.feature);
        nodes.modes.push('BRANCH_LEQ');
        nodes.values.push(treeNode.threshold);
        nodes.trueIds.push(treeNode.left);
        nodes.falseIds.push(treeNode.right);
      } else {
        nodes.featureIds.push(0);
        nodes.modes.push('LEAF');
        nodes.values.push(0);
        nodes.trueIds.push(0);
        nodes.falseIds.push(0);
        leaves.treeIds.push(treeId);
        leaves.nodeIds.push(nodeId);
        leaves.weights.push(treeNode.value);
      }
    });
  });
  const structure = {
    nodes_treeids: nodes.treeIds,
    nodes_nodeids: nodes.nodeIds,
    nodes_featureids: nodes.featureIds,
    nodes_modes: nodes.modes,
    nodes_values: { floats: nodes.values },
    nodes_truenodeids: nodes.trueIds,
    nodes_falsenodeids: nodes.falseIds,
    base_values: { floats: [model.baseScore] },
  };
  const zeros = leaves.treeIds.map(() => 0);
  const input = floatInfo(INPUT_NAME, ['N', model.featureCount]);

  if (model.task === 'regression') {
    const regressor = node(
      'TreeEnsembleRegressor',
      [INPUT_NAME],
      [PREDICTIONS_OUTPUT],
      {
        ...structure,
        n_targets: 1,
        target_treeids: leaves.treeIds,
        target_nodeids: leaves.nodeIds,
        target_ids: zeros,
        target_weights: { floats: leaves.weights },
        aggregate_function: 'SUM',
        post_transform: 'NONE',
      },
      ML_DOMAIN,
    );
    return encodeModel(
      { name: 'gradient-boosting', node: [regressor], input: [input], output: [floatInfo(PREDICTIONS_OUTPUT, ['N', 1])] },
      'Gradient-boosted regression trees (mlops-trainer)',
    );
  }
  const classifier = node(
    'TreeEnsembleClassifier',
    [INPUT_NAME],
    [LABEL_OUTPUT, PROBABILITIES_OUTPUT],
    {
      ...structure,
      class_treeids: leaves.treeIds,
      class_nodeids: leaves.nodeIds,
      class_ids: zeros,
      class_weights: { floats: leaves.weights },
      classlabels_int64s: [0, 1],
      post_transform: 'LOGISTIC',
    },
    ML_DOMAIN,
  );
  return encodeModel(
    {
      name: 'gradient-boosting',
      node: [classifier],
      input: [input],
      output: [int64Info(LABEL_OUTPUT, ['N']), floatInfo(PROBABILITIES_OUTPUT, ['N', 2])],
    },
    'Gradient-boosted classification trees (mlops-trainer)',
  );
}
