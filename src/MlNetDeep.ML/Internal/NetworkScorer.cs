using MlNetDeep.Layers;
using MlNetDeep.Serialization;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// Scores one row at a time with a private copy of the network (layers keep per-call buffers, so every prediction row
/// gets its own scorer): PredictionEngine's path, where one row must not wait for a block. Transform scores blocks of
/// rows (<see cref="NetworkBlockScorer"/>) with the same bits.
/// </summary>
internal sealed class NetworkScorer : IScoreSource
{
    private readonly NeuralNetworkTransformer _model;
    private readonly ReadFeatures _readFeatures;
    private readonly Layer _network;
    private readonly Tensor _input;
    private readonly float[] _features;
    private readonly float[] _scoredFeatures;
    private readonly float[] _outputs;
    private bool _hasScored;

    public NetworkScorer(NeuralNetworkTransformer model, ReadFeatures readFeatures)
    {
        _model = model;
        _readFeatures = readFeatures;
        _network = NetworkFile.Clone(model.Network);

        // Nothing else holds this copy, so its weights never change: the layers keep what they make from them (transposed or
        // transformed weights) without comparing the weights at every row.
        foreach (var parameter in _network.Parameters)
        {
            parameter.Value.ValuesFixed = true;
        }

        _input = new Tensor([1, .. model.FeatureShape]);
        _features = new float[_input.Length];
        _scoredFeatures = new float[_input.Length];
        _outputs = new float[model.OutputCount];
    }

    /// <summary>
    /// Reads the current row's features and runs the network on them, unless they equal the last scored features (then
    /// the outputs stand). Comparing values rather than row positions keeps this right for PredictionEngine, whose input
    /// row changes its values in place.
    /// </summary>
    public ReadOnlySpan<float> Current()
    {
        _readFeatures(_features);
        if (_hasScored && _features.AsSpan().SequenceEqual(_scoredFeatures))
        {
            return _outputs;
        }

        // Forget the last row first: should the network throw, a retry of the same row must not find its outputs.
        _hasScored = false;
        _features.CopyTo(_input.Span);
        var finite = _input.IndexOfNonFinite() < 0;
        var logits = finite ? _network.Forward(_input, training: false).Span : default;
        ScoreOutputs.Compute(_model.Task, finite, logits, _outputs, _model.Segmentation?.Classes ?? 0);
        _features.CopyTo(_scoredFeatures, 0);
        _hasScored = true;
        return _outputs;
    }
}
