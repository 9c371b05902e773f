using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Layers;
using MlNetDeep.Serialization;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// Scores one row at a time with a private copy of the network (layers keep per-call buffers, so every cursor and
/// every prediction row gets its own scorer) and turns the raw outputs into the task's columns.
/// </summary>
internal sealed class NetworkScorer
{
    private readonly NeuralNetworkTransformer _model;
    private readonly Layer _network;
    private readonly Tensor _input;
    private readonly float[] _features;
    private readonly float[] _scoredFeatures;
    private readonly float[] _outputs;
    private bool _hasScored;

    public NetworkScorer(NeuralNetworkTransformer model)
    {
        _model = model;
        _network = NetworkFile.Clone(model.Network);
        _input = new Tensor([1, .. model.FeatureShape]);
        _features = new float[_input.Length];
        _scoredFeatures = new float[_input.Length];
        _outputs = new float[model.OutputCount];
    }

    /// <summary>The network's outputs for the last scored row: softmax probabilities (multiclass), the logit or the value.</summary>
    public ReadOnlySpan<float> Outputs => _outputs;

    /// <summary>
    /// Reads the features through <paramref name="readFeatures"/> and runs the network on them, unless they equal the
    /// last scored features (then the outputs stand). Comparing values rather than row positions keeps this right for
    /// PredictionEngine, whose input row changes its values in place.
    /// </summary>
    public void Score(Action<float[]> readFeatures)
    {
        readFeatures(_features);
        if (_hasScored && _features.AsSpan().SequenceEqual(_scoredFeatures))
        {
            return;
        }

        _features.CopyTo(_scoredFeatures, 0);
        _hasScored = true;
        _features.CopyTo(_input.Span);
        var output = _network.Forward(_input, training: false).Span;
        if (_model.Task == NeuralNetworkTask.MulticlassClassification)
        {
            System.Numerics.Tensors.TensorPrimitives.SoftMax(output, _outputs);
        }
        else
        {
            output.CopyTo(_outputs);
        }
    }

    /// <summary>The predicted 1-based key: the argmax of the probabilities.</summary>
    public uint PredictedKey()
    {
        var best = 0;
        for (var j = 1; j < _outputs.Length; j++)
        {
            if (_outputs[j] > _outputs[best])
            {
                best = j;
            }
        }

        return (uint)best + 1;
    }

    /// <summary>σ(logit).</summary>
    public float Probability() => 1f / (1f + MathF.Exp(-_outputs[0]));

    /// <summary>A getter for an output column; the outputs are computed once per distinct feature vector.</summary>
    public Delegate Getter(Action<float[]> readFeatures, string column)
    {
        void Ensure() => Score(readFeatures);

        return (_model.Task, column) switch
        {
            (NeuralNetworkTask.MulticlassClassification, OutputColumns.Score) => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) =>
            {
                Ensure();
                var editor = VBufferEditor.Create(ref dst, _outputs.Length);
                _outputs.CopyTo(editor.Values);
                dst = editor.Commit();
            }),
            (NeuralNetworkTask.MulticlassClassification, OutputColumns.PredictedLabel) => (ValueGetter<uint>)((ref uint dst) =>
            {
                Ensure();
                dst = PredictedKey();
            }),
            (NeuralNetworkTask.BinaryClassification, OutputColumns.PredictedLabel) => (ValueGetter<bool>)((ref bool dst) =>
            {
                Ensure();
                dst = _outputs[0] > 0;
            }),
            (NeuralNetworkTask.BinaryClassification, OutputColumns.Probability) => (ValueGetter<float>)((ref float dst) =>
            {
                Ensure();
                dst = Probability();
            }),
            (_, OutputColumns.Score) => (ValueGetter<float>)((ref float dst) =>
            {
                Ensure();
                dst = _outputs[0];
            }),
            _ => throw new InvalidOperationException($"No output column '{column}' for {_model.Task}."),
        };
    }
}
