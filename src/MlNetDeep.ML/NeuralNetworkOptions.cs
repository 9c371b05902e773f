using Microsoft.ML;
using MlNetDeep.Layers;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Schedules;
using MlNetDeep.Training;

namespace MlNetDeep.ML;

/// <summary>
/// The settings every MlNetDeep trainer shares: columns, the network, the optimisation recipe, validation, early
/// stopping and progress. Public fields with defaults, as ML.NET's trainer options are.
/// </summary>
public abstract class NeuralNetworkOptions
{
    /// <summary>The label column: a key for multiclass, Boolean for binary, Single for regression.</summary>
    public string LabelColumnName = "Label";

    /// <summary>The features column: a known-size vector of Single (or a Single).</summary>
    public string FeatureColumnName = "Features";

    /// <summary>
    /// The optional example weight column (a Single per row, finite and ≥ 0), as ML.NET's trainers with weights name it:
    /// each mini-batch's cost becomes the weighted mean Σ w_i·C_i / Σ w_i, so a row of weight 2 pulls as hard as two
    /// copies of it and a row of weight 0 not at all. The reported accuracy and the validation metrics are not weighted.
    /// </summary>
    public string? ExampleWeightColumnName;

    /// <summary>
    /// The name of the output column with the scores (multiclass: the class probabilities; binary: the logit;
    /// regression: the value). Same meaning and default as <c>ImageClassificationTrainer.Options.ScoreColumnName</c> of
    /// ML.NET's image trainers; give the same name to the evaluator (<c>Evaluate(data, scoreColumnName: ...)</c>).
    /// </summary>
    public string ScoreColumnName = "Score";

    /// <summary>
    /// The name of the output column with the predicted label (multiclass: a key; binary: a Boolean; regression has
    /// none). Same meaning and default as <c>ImageClassificationTrainer.Options.PredictedLabelColumnName</c>.
    /// </summary>
    public string PredictedLabelColumnName = "PredictedLabel";

    /// <summary>
    /// The per-sample shape of the features, such as <c>[1, 28, 28]</c>, when the column is a flat vector; when null the
    /// column type's dimensions are used (ExtractPixels gives [C, H, W]).
    /// </summary>
    public int[]? FeatureShape;

    /// <summary>
    /// Creates the network from the per-sample input shape and the number of outputs; when null an MLP of
    /// <see cref="HiddenLayers"/> is used. The network's output must be the raw scores (logits), one per output.
    /// </summary>
    public Func<int[], int, Layer>? Network;

    /// <summary>Hidden layer sizes of the default MLP.</summary>
    public int[] HiddenLayers = [256, 128];

    /// <summary>Hidden activation of the default MLP.</summary>
    public Activation Activation = Activation.ReLU;

    /// <summary>Dropout keep probability after each hidden layer of the default MLP (1 = no dropout).</summary>
    public float KeepProbability = 1f;

    /// <summary>The optimizer; Adam with <see cref="LearningRate"/> when null.</summary>
    public Optimizer? Optimizer;

    /// <summary>The base learning rate α0 of the default Adam; an <see cref="Optimizer"/> you set keeps its own rate.</summary>
    public float LearningRate = 1e-3f;

    /// <summary>The learning-rate schedule; constant when null.</summary>
    public LearningRateSchedule? Schedule;

    /// <summary>Passes over the training data.</summary>
    public int NumberOfEpochs = 10;

    /// <summary>
    /// Mini-batch size. With batch normalisation of single values per channel (after a dense layer, or on 1×1 maps) a
    /// last mini-batch of one row is left out of each epoch (a different row each epoch), and 1 is an error.
    /// </summary>
    public int BatchSize = 64;

    /// <summary>Seed for initialisation, shuffling and dropout; when null it is drawn from the MLContext's seed.</summary>
    public int? Seed;

    /// <summary>L1 strength (weights only).</summary>
    public float L1Regularization;

    /// <summary>L2 strength, weight decay (weights only).</summary>
    public float L2Regularization;

    /// <summary>When set, gradients are clipped to this global L2 norm.</summary>
    public float? GradientClipNorm;

    /// <summary>
    /// Stop training with <see cref="TrainingDivergedException"/> as soon as it diverges: a NaN or infinite output,
    /// gradient or parameter, or a mini-batch loss above <see cref="DivergenceFactor"/> times the untrained network's.
    /// On by default; see <see cref="TrainingOptions.DetectDivergence"/>.
    /// </summary>
    public bool DetectDivergence = true;

    /// <summary>
    /// How many times the untrained network's loss a mini-batch loss may reach before training counts as diverged
    /// (1e4 by default; greater than 1, or +∞ for no bound); see <see cref="TrainingOptions.DivergenceFactor"/>.
    /// </summary>
    public double DivergenceFactor = 1e4;

    /// <summary>Early stopping on the validation loss; none when null.</summary>
    public EarlyStopping? EarlyStopping;

    /// <summary>Validation data with the same columns as the training data (as ImageClassificationTrainer takes it).</summary>
    public IDataView? ValidationSet;

    /// <summary>Fraction of the training data held out for validation when <see cref="ValidationSet"/> is null.</summary>
    public double ValidationFraction;

    /// <summary>Called after every epoch with the epoch's loss, metrics and seconds.</summary>
    public Action<EpochResult>? ProgressCallback;

    /// <summary>
    /// Called after every mini-batch with the epoch's running loss and accuracy, for a progress bar
    /// (<see cref="TrainingOptions.BatchCompleted"/>); keep it cheap.
    /// </summary>
    public Action<BatchResult>? BatchProgressCallback;

    /// <summary>
    /// Training hooks, in order (<see cref="TrainingOptions.Callbacks"/>): <see cref="ModelCheckpoint"/> saves the best
    /// network (MlNetDeep's network file), <see cref="ReduceLearningRateOnPlateau"/>, <see cref="CsvLogger"/>, or your own.
    /// </summary>
    public IList<TrainingCallback> Callbacks = [];

    /// <summary>
    /// Cancels Fit with an <see cref="OperationCanceledException"/>: before the data are read, every 256 rows while the
    /// training and validation rows are read (or streamed, or written to a pixel cache), and between mini-batches.
    /// </summary>
    public CancellationToken CancellationToken;

    /// <summary>Reshuffle the training rows every epoch (true by default); when false they train in the view's order.</summary>
    public bool Shuffle = true;

    /// <summary>
    /// The most bytes of decoded features the trainer keeps in memory, counted as 32-bit floats (rows × values × 4),
    /// training and validation together: 1 GiB by default. Data within it are read into memory once; data past it are
    /// streamed from the data view every epoch (or read from the pixel cache, with <see cref="WorkspacePath"/>), so memory
    /// holds a shuffle pool and a few mini-batches whatever the row count.
    /// </summary>
    public long MemoryBudget = 1L << 30;

    /// <summary>
    /// Rows of the shuffle pool when the training rows stream from the view without a pixel cache; 0 (the default) takes
    /// as many as a quarter of <see cref="MemoryBudget"/> holds, and at least two mini-batches. The rows come out in an
    /// order drawn from the seed and the epoch; a row can come out at most this many places before its place in the view,
    /// so sorted data need a pool as large as a class, or shuffling beforehand, or <see cref="WorkspacePath"/>.
    /// </summary>
    public int ShufflePoolSize;

    /// <summary>
    /// How many mini-batches a background thread reads, decodes and augments ahead of the one the network trains on,
    /// when the data stream (2 by default; 0 reads on the training thread). Results do not depend on it.
    /// </summary>
    public int ReadAhead = 2;

    /// <summary>
    /// A folder for pixel caches (as ImageClassificationTrainer's WorkspacePath): when set, the decoded features of the
    /// training and validation sets are written to files there in one pass (one byte a value when the data have at most
    /// 256 distinct values, as 8-bit images do; else four), and every epoch reads them back by row index, so images are
    /// decoded once and shuffled exactly as in memory. Null (the default) keeps no cache.
    /// </summary>
    public string? WorkspacePath;

    /// <summary>
    /// Reuse the pixel caches already in <see cref="WorkspacePath"/> instead of rebuilding them (false by default). A cache
    /// is reused only if it was made from a view with the same columns, shape, row count and labels; its content is
    /// trusted to be the same images, so rebuild it when they change. A corrupt cache is an <see cref="InvalidDataException"/>.
    /// </summary>
    public bool ReuseCachedPixels;

    /// <summary>The training set's pixel cache in <see cref="WorkspacePath"/>.</summary>
    public string TrainSetPixelCacheFileName = "TrainSet.pixels";

    /// <summary>The validation set's pixel cache in <see cref="WorkspacePath"/>.</summary>
    public string ValidationSetPixelCacheFileName = "ValidationSet.pixels";

    /// <summary>
    /// Skip a row whose features cannot be read (ML.NET's getter fails: a missing or undecodable image), with a warning
    /// on the MLContext's log naming the row and its text columns, instead of stopping Fit with an
    /// <see cref="InvalidDataException"/> (the default). A NaN or infinite feature is an error either way.
    /// </summary>
    public bool SkipUnreadableRows;
}
