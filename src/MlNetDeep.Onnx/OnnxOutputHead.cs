namespace MlNetDeep.Onnx;

/// <summary>What <see cref="OnnxExport"/> appends to the network's last layer.</summary>
public enum OnnxOutputHead
{
    /// <summary>Nothing: the output is the network's (logits for a classifier).</summary>
    None,

    /// <summary>Softmax over each sample's outputs: the class probabilities a multiclass trainer's Score column holds.</summary>
    Softmax,

    /// <summary>The logistic sigmoid of each output: the probability a binary trainer's Probability column holds.</summary>
    Sigmoid,
}
