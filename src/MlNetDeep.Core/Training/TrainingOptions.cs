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

    /// <summary>Seeds initialisation, shuffling and dropout: the same seed gives the same run.</summary>
    public ulong Seed { get; set; }

    /// <summary>Reshuffle the training data every epoch.</summary>
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

    /// <summary>Cancels training between mini-batches.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// Augmentation applied to every training mini-batch (fresh draws each epoch, from <see cref="Seed"/>, the epoch and
    /// the row); none when null. The network then takes the augmentation's output shape, and a validation set passed to
    /// <see cref="Trainer.Fit"/> must already have that shape (rows held out by <see cref="ValidationFraction"/> are
    /// transformed in scoring mode).
    /// </summary>
    public BatchAugmentation? Augmentation { get; set; }

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
    }

    private static void Check(bool ok, string name, object? value, string expected)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be {expected}.");
        }
    }
}
