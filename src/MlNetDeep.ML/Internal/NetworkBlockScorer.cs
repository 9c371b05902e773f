using Microsoft.ML;
using MlNetDeep.Layers;
using MlNetDeep.Serialization;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// Scores a cursor's <see cref="RowBlock"/> with one forward pass of a private copy of the network, then serves each
/// row's outputs. A row's outputs are the bits <see cref="NetworkScorer"/> gives it alone: the engine's layers compute
/// every sample of a batch in the same order whatever the batch. A row with a non-finite feature is zeroed before the
/// pass and scored as missing, so it cannot touch the other rows of its block.
/// </summary>
internal sealed class NetworkBlockScorer : BlockScorer, IScoreSource
{
    private readonly NeuralNetworkTransformer _model;
    private readonly RowBlock _block;
    private readonly ReadFeatures _readFeatures;
    private readonly Layer _network;
    private readonly Tensor _input;
    private readonly int[] _inputShape;
    private readonly int _width;
    private readonly bool[] _finite;
    private readonly float[] _outputs;
    private long _scoredVersion = -1;

    public NetworkBlockScorer(NeuralNetworkTransformer model, DataViewRow input, DataViewSchema outputSchema, Func<int, bool> isActive, RowBlock block)
    {
        _model = model;
        _block = block;
        _readFeatures = NetworkInput.FeatureReader(input, input.Schema[model.FeatureColumnName]);
        _network = NetworkFile.Clone(model.Network);
        _inputShape = [block.Capacity, .. model.FeatureShapeArray];
        _input = new Tensor((int[])_inputShape.Clone());
        _width = _input.RowSize;
        _finite = new bool[block.Capacity];
        _outputs = new float[block.Capacity * model.OutputCount];
        var getters = new Delegate?[outputSchema.Count];
        for (var i = input.Schema.Count; i < outputSchema.Count; i++)
        {
            if (isActive(i))
            {
                getters[i] = ScoreOutputs.Getter(model.Task, model.ColumnNames.Role(outputSchema[i].Name), this);
            }
        }

        Getters = getters;
    }

    public override Delegate?[] Getters { get; }

    // The tensor keeps storage for a whole block, so a shorter last block reuses it.
    public override void Read(int slot) => _readFeatures(_input.Data.AsSpan(slot * _width, _width));

    public ReadOnlySpan<float> Current()
    {
        _block.ThrowIfCurrentFailed(addedColumn: true);
        if (_scoredVersion != _block.Version)
        {
            Score(_block.ReadableCount);
            _scoredVersion = _block.Version;
        }

        var k = _model.OutputCount;
        return _outputs.AsSpan(_block.Slot * k, k);
    }

    private void Score(int rows)
    {
        var anyFinite = false;
        for (var r = 0; r < rows; r++)
        {
            var row = _input.Data.AsSpan(r * _width, _width);
            _finite[r] = Tensor.IndexOfNonFinite(row) < 0;
            if (!_finite[r])
            {
                row.Clear();
            }

            anyFinite |= _finite[r];
        }

        var k = _model.OutputCount;
        Tensor? logits = null;
        if (anyFinite)
        {
            _inputShape[0] = rows;
            _input.Reshape(_inputShape);
            logits = _network.Forward(_input, training: false);
        }

        for (var r = 0; r < rows; r++)
        {
            ScoreOutputs.Compute(_model.Task, _finite[r], _finite[r] ? logits!.Row(r) : default, _outputs.AsSpan(r * k, k));
        }
    }
}
