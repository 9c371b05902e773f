using Microsoft.ML;
using MlNetDeep.Training;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// Scores a cursor's <see cref="RowBlock"/> with a private copy of the network (<see cref="NetworkCopy"/>), through its
/// <see cref="BatchPredictor"/> (one forward pass, or one per group of rows and thread), then serves each row's outputs.
/// A row's outputs are the bits <see cref="NetworkScorer"/> gives it alone: the engine's layers compute every sample of a
/// batch in the same order whatever the batch. A row with a non-finite feature is zeroed as it is read and scored as
/// missing, so it cannot touch the other rows of its block.
/// </summary>
internal sealed class NetworkBlockScorer : BlockScorer, IScoreSource
{
    private readonly NeuralNetworkTransformer _model;
    private readonly RowBlock _block;
    private readonly ReadFeatures _readFeatures;
    private readonly int _width;
    private NetworkCopy? _copy;
    private long _scoredVersion = -1;

    public NetworkBlockScorer(NeuralNetworkTransformer model, DataViewRow input, DataViewSchema outputSchema, Func<int, bool> isActive, RowBlock block)
    {
        _model = model;
        _block = block;
        _readFeatures = NetworkInput.FeatureReader(input, input.Schema[model.FeatureColumnName]);
        _copy = model.RentCopy();
        _width = _copy.Input.RowSize;
        var getters = new Delegate?[outputSchema.Count];
        for (var i = input.Schema.Count; i < outputSchema.Count; i++)
        {
            if (isActive(i))
            {
                getters[i] = ScoreOutputs.Getter(model.Task, model.ColumnNames.Role(outputSchema[i].Name), this, model.Detector, model.Segmentation);
            }
        }

        Getters = getters;
    }

    public override Delegate?[] Getters { get; }

    private NetworkCopy Copy => _copy ?? throw new ObjectDisposedException(nameof(BlockCursor), "The cursor was disposed.");

    // The tensor keeps storage for a whole block, so a shorter last block reuses it. The row is checked while it is in
    // the cache: one with a non-finite value is zeroed and scored as missing.
    public override void Read(int slot)
    {
        var copy = Copy;
        var row = copy.Input.Data.AsSpan(slot * _width, _width);
        _readFeatures(row);
        copy.Finite[slot] = Tensor.IndexOfNonFinite(row) < 0;
        if (!copy.Finite[slot])
        {
            row.Clear();
        }
    }

    public ReadOnlySpan<float> Current()
    {
        _block.ThrowIfCurrentFailed(addedColumn: true);
        var copy = Copy;
        if (_scoredVersion != _block.Version)
        {
            Score(copy, _block.ReadableCount);
            _scoredVersion = _block.Version;
        }

        var k = _model.OutputCount;
        return copy.Outputs.AsSpan(_block.Slot * k, k);
    }

    public override void Dispose()
    {
        if (_copy is { } copy)
        {
            _copy = null;
            _model.ReturnCopy(copy);
        }
    }

    private void Score(NetworkCopy copy, int rows)
    {
        var anyFinite = copy.Finite.AsSpan(0, rows).Contains(true);

        var k = _model.OutputCount;
        Tensor? logits = null;
        if (anyFinite)
        {
            copy.InputShape[0] = rows;
            copy.Input.Reshape(copy.InputShape);
            logits = copy.Predictor.Predict(copy.Input);
        }

        for (var r = 0; r < rows; r++)
        {
            ScoreOutputs.Compute(_model.Task, copy.Finite[r], copy.Finite[r] ? logits!.Row(r) : default, copy.Outputs.AsSpan(r * k, k), _model.Segmentation?.Classes ?? 0);
        }
    }
}
