using MlNetDeep.Losses;
using MlNetDeep.Optimizers;
using MlNetDeep.Schedules;

namespace MlNetDeep.Training;

/// <summary>How <see cref="Trainer"/> trains a network: cost, optimizer, schedule, mini-batches and stopping.</summary>
public sealed class TrainingOptions
{
    /// <summary>The cost function.</summary>
    public Loss Loss { get; set; } = new SoftmaxCrossEntropy();

    /// <summary>The optimizer; its <see cref="Optimizer.LearningRate"/> is the base rate α0.</summary>
    public Optimizer Optimizer { get; set; } = new Adam();

    /// <summary>The learning-rate schedule; constant when null.</summary>
    public LearningRateSchedule? Schedule { get; set; }

    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>
    /// Mini-batch size: 1 is stochastic gradient descent, the data size is batch gradient descent. The last mini-batch
    /// of an epoch holds the remaining rows; with batch normalisation over single values per channel (a dense input or
    /// 1×1 maps) a last mini-batch of one row is left out, and a size of 1 is an error (see <see cref="Trainer"/>).
    /// </summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>
    /// Decides each epoch's training rows and their order in place of the shuffle (for example P identities × K examples per
    /// mini-batch, <see cref="PkBatchSampler"/>); <see cref="Shuffle"/> is then not used. Null for the shuffle. The training
    /// source must have random access.
    /// </summary>
    public BatchSampler? BatchSampler { get; set; }

    /// <summary>Seeds initialisation, shuffling and dropout: the same seed gives the same run.</summary>
    public ulong Seed { get; set; }

    /// <summary>
    /// Reshuffle the training data every epoch. When false the rows train in their order in the data (the rows left once
    /// <see cref="ValidationFraction"/> holds some out, too).
    /// </summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>L1 strength: adds L1·Σ|w| to the cost (weights only).</summary>
    public float L1 { get; set; }

    /// <summary>L2 strength (weight decay): adds (L2/2)·Σw² to the cost (weights only).</summary>
    public float L2 { get; set; }

    /// <summary>When set, gradients are scaled so their global L2 norm is at most this value.</summary>
    public float? GradientClipNorm { get; set; }

    /// <summary>Fraction of the training data held out for validation when no validation set is given (0 for none).</summary>
    public double ValidationFraction { get; set; }

    /// <summary>Early stopping; none when null.</summary>
    public EarlyStopping? EarlyStopping { get; set; }

    /// <summary>Called after every epoch.</summary>
    public Action<EpochResult>? EpochCompleted { get; set; }

    /// <summary>
    /// Called after every mini-batch's update with the epoch's running loss and accuracy (what a progress bar shows).
    /// It runs on the training thread between two mini-batches: keep it cheap (a <see cref="BatchResult"/> is a value,
    /// so the call allocates nothing).
    /// </summary>
    public Action<BatchResult>? BatchCompleted { get; set; }

    /// <summary>
    /// Hooks called as training goes (Keras's callbacks), in order: <see cref="ModelCheckpoint"/>,
    /// <see cref="ReduceLearningRateOnPlateau"/>, <see cref="CsvLogger"/> or your own <see cref="TrainingCallback"/>.
    /// </summary>
    public IList<TrainingCallback> Callbacks { get; set; } = [];

    /// <summary>Cancels training between mini-batches (and between the validation mini-batches).</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// Augmentation applied to every training mini-batch (fresh draws each epoch, from <see cref="Seed"/>, the epoch and
    /// the row); none when null. The network then takes the augmentation's output shape, and a validation set passed to
    /// <see cref="Trainer"/> must already have that shape (rows held out by <see cref="ValidationFraction"/> are
    /// transformed in scoring mode).
    /// </summary>
    public BatchAugmentation? Augmentation { get; set; }

    /// <summary>
    /// Stop with <see cref="TrainingDivergedException"/> as soon as training diverges: when a mini-batch's outputs, a
    /// gradient or a parameter becomes NaN or infinite, or the loss exceeds <see cref="DivergenceFactor"/> times the
    /// untrained network's loss. On by default; the checks are one vectorised pass over the outputs per mini-batch and
    /// one over the parameters after each update (a NaN or infinite gradient becomes a NaN or infinite parameter in the
    /// update, and is then named as the cause). A NaN or infinite loss stops training even when this is off.
    /// </summary>
    public bool DetectDivergence { get; set; } = true;

    /// <summary>
    /// With <see cref="DetectDivergence"/>, training stops when a mini-batch loss exceeds this many times the reference
    /// loss: the loss of the run's first mini-batch, the untrained network's (the mean over the first mini-batches
    /// while they hold fewer than 32 rows in all, so that one lucky row does not set it). The default, 1e4, is far above
    /// anything a converging run reaches: softmax cross-entropy starts near ln K (2.3 for 10 classes) and only falls,
    /// so a loss above ~2e4 means a gap of 1e4 between logits, the mark of a step that threw the weights far off; the
    /// quadratic cost of a regression 1e4 times its start means errors 100 times those of the untrained network.
    /// Adam at learning rate 1e6 on MNIST passes it within a few mini-batches. Raise it (or set
    /// <see cref="double.PositiveInfinity"/>) for a run whose loss legitimately grows, such as fine-tuning a network that
    /// already fits its first mini-batch almost exactly; must be greater than 1.
    /// </summary>
    public double DivergenceFactor { get; set; } = 1e4;

    /// <summary>
    /// How many mini-batches a background thread reads and augments ahead of the one being trained, for a
    /// <see cref="BatchSource"/> that is not in memory (2 by default; 0 reads on the training thread). Memory grows by
    /// this many mini-batches; results do not change.
    /// </summary>
    public int ReadAhead { get; set; } = 2;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Loss, nameof(Loss));
        ArgumentNullException.ThrowIfNull(Optimizer, nameof(Optimizer));
        Check(Epochs > 0, nameof(Epochs), Epochs, "at least 1");
        Check(BatchSize > 0, nameof(BatchSize), BatchSize, "at least 1");
        Check(L1 >= 0 && float.IsFinite(L1), nameof(L1), L1, "a finite value ≥ 0");
        Check(L2 >= 0 && float.IsFinite(L2), nameof(L2), L2, "a finite value ≥ 0");
        Check(GradientClipNorm is null || GradientClipNorm > 0, nameof(GradientClipNorm), GradientClipNorm, "positive");
        Check(ValidationFraction >= 0 && ValidationFraction < 1, nameof(ValidationFraction), ValidationFraction, "in [0, 1)");
        Check(EarlyStopping is null || EarlyStopping.Patience >= 1, "EarlyStopping.Patience", EarlyStopping?.Patience, "at least 1");
        Check(EarlyStopping is null || EarlyStopping.MinDelta >= 0, "EarlyStopping.MinDelta", EarlyStopping?.MinDelta, "≥ 0");
        ArgumentNullException.ThrowIfNull(Callbacks, nameof(Callbacks));
        Check(ReadAhead >= 0, nameof(ReadAhead), ReadAhead, "0 or more");
        Check(DivergenceFactor > 1, nameof(DivergenceFactor), DivergenceFactor, "greater than 1 (or +∞ for no bound)");
    }

    private static void Check(bool ok, string name, object? value, string expected)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be {expected}.");
        }
    }
}
