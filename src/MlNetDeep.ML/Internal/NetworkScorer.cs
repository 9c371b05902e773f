using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
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

    /// <summary>
    /// The network's outputs for the last scored row: softmax probabilities (multiclass), the logit or the value; all
    /// NaN when the row's features or the network's outputs were not finite (ML.NET's convention for a missing score).
    /// </summary>
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

        // Forget the last row first: should the network throw, a retry of the same row must not find its outputs.
        _hasScored = false;
        _features.CopyTo(_input.Span);
        if (_input.IndexOfNonFinite() >= 0)
        {
            // A NaN or ∞ feature has no score: a layer such as max pooling could drop it and return a confident answer.
            _outputs.AsSpan().Fill(float.NaN);
        }
        else
        {
            var output = _network.Forward(_input, training: false);
            if (output.IndexOfNonFinite() >= 0)
            {
                _outputs.AsSpan().Fill(float.NaN);
            }
            else if (_model.Task == NeuralNetworkTask.MulticlassClassification)
            {
                Softmax.Compute(output.Span, _outputs);
            }
            else
            {
                output.Span.CopyTo(_outputs);
            }
        }

        _features.CopyTo(_scoredFeatures, 0);
        _hasScored = true;
    }

    /// <summary>The predicted 1-based key: the argmax of the probabilities, or 0 (missing) when they are NaN.</summary>
    public uint PredictedKey()
    {
        if (float.IsNaN(_outputs[0]))
        {
            return 0;
        }

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

    /// <summary>σ(logit): in [0, 1] for any finite logit, NaN for a missing score.</summary>
    public float Probability()
    {
        Span<float> p = stackalloc float[1];
        Sigmoid.Compute(_outputs.AsSpan(0, 1), p);
        return p[0];
    }

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

                // False for a NaN score, as ML.NET's binary scorers decide.
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
