using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Layers;
using MlNetDeep.ML.Internal;
using MlNetDeep.ML.Segmentation;
using MlNetDeep.Training;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.ML;

/// <summary>
/// A trained MlNetDeep network as an ML.NET transformer. It adds the columns ML.NET's evaluators read — multiclass:
/// Score (softmax probabilities, SlotNames from the label's key values) and PredictedLabel (a key carrying KeyValues, so
/// MapKeyToValue works); binary: Score (the logit, &gt; 0 means positive), Probability and PredictedLabel (Boolean);
/// regression: Score; detection: PredictedLabel (vector of text), Score and PredictedBoundingBoxes (vectors of Single), as
/// ML.NET's TorchSharp ObjectDetection trainer writes them; segmentation: PredictedMask (a vector of keys or UInt32 class
/// indices, [H, W]) and on request Score (per-pixel probabilities, [K, H, W]). Transform is lazy and thread-safe (each cursor scores with its own copy of the network), and the
/// transformer is a row-to-row mapper, so CreatePredictionEngine works. Save it with
/// <c>mlContext.Model.SaveWithNetworks</c>; <c>mlContext.Model.Save</c> cannot save third-party transformers.
/// </summary>
/// <remarks>
/// <para>
/// Transform's cursors score mini-batches: each reads up to 256 rows ahead (fewer for large inputs, about half a million
/// feature values a block), runs the network once on them and then serves the rows, so <c>Evaluate(model.Transform(data))</c>
/// runs at the speed of the engine's batch inference. The columns passed through are buffered with the block (a
/// column of a type that cannot be copied, such as an image, makes that cursor score row by row). CreatePredictionEngine
/// scores its one row at once. A row gets the same bits either way, in any block and in any cursor of a set: the
/// engine computes each sample of a batch in an order fixed by the sample alone. An input row that throws while its
/// features are read ends its block early; its score getters rethrow when the consumer reaches it, and the rows around
/// it are scored as usual.
/// </para>
/// <para>
/// Probabilities are finite for any finite logit: the softmax subtracts the row's largest logit before exponentiating
/// and the sigmoid saturates, so a logit of 1e4 gives a probability of 1, not NaN.
/// </para>
/// <para>
/// The features column of a row must hold exactly the values the network was trained on: a vector of another length
/// (such as a null or short float[] given to a PredictionEngine) is an <see cref="ArgumentException"/> naming the column,
/// the expected and the actual length.
/// </para>
/// <para>
/// A row with a NaN or infinite feature has no score, and neither has a row for which the network's outputs are not
/// finite (a diverged or overflowing network). Following ML.NET's convention for a missing value, such a row gets:
/// multiclass, Score all NaN and PredictedLabel the missing key (raw value 0); binary, Score NaN, Probability NaN and
/// PredictedLabel false (ML.NET's decision for a NaN score); regression, Score NaN. Transform and PredictionEngine take
/// the same path. ML.NET's evaluators leave rows with non-finite scores out as bad scores; <c>EvaluateWithReport</c>
/// does the same and counts them, and <c>Diagnose</c> refuses a verdict while there are any.
/// </para>
/// <para>
/// It is ML.NET's <see cref="ISingleFeaturePredictionTransformer{TModel}"/> with the network as its
/// <see cref="Model"/>, so ML.NET's permutation feature importance works on it:
/// <c>mlContext.BinaryClassification.PermutationFeatureImportance(model.LastTransformer, scoredInput, ...)</c> (and the
/// Multiclass and Regression counterparts), given the transformer itself, typed — <c>LastTransformer</c> of the chain
/// that <c>pipeline.Fit</c> returns. The overloads that take a whole <c>ITransformer</c> chain do not work with any
/// third-party transformer: they look for ML.NET's internal <c>ISingleFeaturePredictionTransformer</c>.
/// </para>
/// </remarks>
public sealed class NeuralNetworkTransformer : ISingleFeaturePredictionTransformer<Layer>, IBlockColumnMapper
{
    /// <summary>
    /// The most rows Transform scores in one forward pass: a batch that keeps both cores' kernels busy (LeNet-5 through
    /// Evaluate(Transform), as a share of the engine's batch inference of the same rows: 0.73–0.76 at 64 rows and 0.82–0.89
    /// at 256 in same-process rounds on a loaded machine; 0.82 at 256 in an idle side-by-side run).
    /// </summary>
    internal const int MaxBlockRows = 256;

    /// <summary>
    /// The most feature values of one block: large inputs get fewer rows (three 224×224 images), so each cursor's
    /// activations stay within tens of megabytes.
    /// </summary>
    private const int BlockValues = 1 << 19;

    /// <summary>
    /// The largest network (in parameters) whose copies are kept between Transform cursors: cloning it costs little
    /// against scoring. A kept <see cref="Internal.NetworkCopy"/> shares the network's weights and holds its copies'
    /// activation buffers.
    /// </summary>
    private const long PooledParameterLimit = 1 << 20;

    private readonly ConcurrentBag<NetworkCopy> _copies = [];

    internal NeuralNetworkTransformer(NeuralNetworkTask task, Layer network, int[] featureShape, string featureColumnName, int outputCount, LabelKeyValues? keyValues, TrainingHistory? history, OutputColumnNames? columnNames = null, Detector? detector = null, SegmentationOutput? segmentation = null)
    {
        if (task == NeuralNetworkTask.Segmentation && (segmentation is null || segmentation.Outputs != outputCount))
        {
            throw new ArgumentException($"A segmentation network needs its output shape; {outputCount} outputs against {segmentation}.", nameof(segmentation));
        }

        Detector = detector;
        Segmentation = segmentation;
        ColumnNames = columnNames ?? OutputColumnNames.Default;
        Task = task;
        Network = network;
        FeatureShapeArray = featureShape;
        FeatureColumnName = featureColumnName;
        OutputCount = outputCount;
        KeyValues = keyValues;
        History = history;
    }

    /// <summary>What the network predicts.</summary>
    public NeuralNetworkTask Task { get; }

    /// <summary>
    /// For <see cref="NeuralNetworkTask.Detection"/>, the detector that decodes the network's outputs into boxes (its
    /// classes, thresholds and, for YOLO, grid and anchors); null for the other tasks.
    /// </summary>
    public Detector? Detector { get; }

    /// <summary>The trained network. Scoring uses copies of it; do not change it while the transformer is in use.</summary>
    public Layer Network { get; }

    /// <summary>The trained network, as ML.NET's prediction transformers call their model (the same object as <see cref="Network"/>).</summary>
    public Layer Model => Network;

    /// <summary>The type of the features column the network reads: a vector of Single of the network's input size.</summary>
    public DataViewType FeatureColumnType => new VectorDataViewType(NumberDataViewType.Single, Tensor.ProductOf(FeatureShapeArray));

    /// <summary>The name of the score column this transformer adds.</summary>
    public string ScoreColumnName => ColumnNames.Score;

    /// <summary>The name of the predicted-label column this transformer adds (none for regression).</summary>
    public string PredictedLabelColumnName => ColumnNames.PredictedLabel;

    /// <summary>The name of the probability column this transformer adds (binary classification only).</summary>
    public string ProbabilityColumnName => ColumnNames.Probability;

    /// <summary>The per-sample shape the features are read as.</summary>
    public IReadOnlyList<int> FeatureShape => FeatureShapeArray;

    /// <summary>The features column read from the input.</summary>
    public string FeatureColumnName { get; }

    /// <summary>The number of network outputs a row: classes for multiclass, d for an embedding, K·H·W for segmentation, 1 otherwise.</summary>
    public int OutputCount { get; }

    /// <summary>The per-epoch record of training, or null for a loaded model.</summary>
    public TrainingHistory? History { get; }

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    internal int[] FeatureShapeArray { get; }

    internal LabelKeyValues? KeyValues { get; }

    internal OutputColumnNames ColumnNames { get; }

    /// <summary>The output shape of a segmentation network, null for the other tasks.</summary>
    internal SegmentationOutput? Segmentation { get; }

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var shape = NetworkInput.FeatureShape(inputSchema, FeatureColumnName, null);
        if (Tensor.ProductOf(shape) != Tensor.ProductOf(FeatureShapeArray))
        {
            throw new ArgumentException(
                $"Column '{FeatureColumnName}' holds {Tensor.ProductOf(shape)} values a row; this network was trained on {Tensor.ProductOf(FeatureShapeArray)} ([{string.Join(", ", FeatureShapeArray)}]).");
        }

        return OutputColumns.Append(inputSchema, OutputColumns.Detached(Task, OutputCount, KeyValues, ColumnNames, Segmentation));
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new ColumnRowMapper(this, inputSchema);
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (ForeignOnnxConversion.IsConverting())
        {
            throw ForeignOnnxConversion.Refusal($"the MlNetDeep {Task} network reading '{FeatureColumnName}'");
        }

        return new MappedDataView(this, input);
    }

    string IColumnMapper.InputColumnName => FeatureColumnName;

    Delegate?[] IColumnMapper.CreateGetters(DataViewRow input, DataViewSchema outputSchema, Func<int, bool> isActive)
    {
        var getters = new Delegate?[outputSchema.Count];
        var scorer = new NetworkScorer(this, NetworkInput.FeatureReader(input, input.Schema[FeatureColumnName]));
        for (var i = input.Schema.Count; i < outputSchema.Count; i++)
        {
            if (isActive(i))
            {
                getters[i] = ScoreOutputs.Getter(Task, ColumnNames.Role(outputSchema[i].Name), scorer, Detector, Segmentation);
            }
        }

        return getters;
    }

    /// <summary>Copies of the network for a Transform cursor: from the pool (they share the network's weights) or new.</summary>
    internal NetworkCopy RentCopy()
    {
        if (_copies.TryTake(out var copy))
        {
            return copy;
        }

        return new NetworkCopy(Network, ((IBlockColumnMapper)this).BlockRows * RowBlock.Pages, OutputCount);
    }

    /// <summary>True when the network is small enough for its cursors' copies to be kept (<see cref="ReturnCopy"/>).</summary>
    internal bool PoolsCopies => Network.ParameterCount <= PooledParameterLimit;

    /// <summary>Takes back a cursor's copy for the next cursor, if the network is small enough to keep copies of.</summary>
    internal void ReturnCopy(NetworkCopy copy)
    {
        if (PoolsCopies && _copies.Count < Environment.ProcessorCount)
        {
            _copies.Add(copy);
        }
    }

    int IBlockColumnMapper.BlockRows => Math.Clamp(BlockValues / Tensor.ProductOf(FeatureShapeArray), 1, MaxBlockRows);

    BlockScorer IBlockColumnMapper.CreateBlockScorer(DataViewRow input, DataViewSchema outputSchema, Func<int, bool> isActive, RowBlock block) =>
        new NetworkBlockScorer(this, input, outputSchema, isActive, block);

    /// <summary>Not supported: ML.NET's ModelSaveContext is internal to Microsoft.ML.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => throw NetworkModelPersistence.SaveNotSupported("network");
}
