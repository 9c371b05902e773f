using MlNetDeep.Layers.Embedding;
using MlNetDeep.Losses.Metric;
using MlNetDeep.Schedules;
using MlNetDeep.Training;

namespace MlNetDeep.Verification;

/// <summary>Settings of <see cref="OneShotExperiment"/>: the encoder, its triplet training and the one-shot evaluation.</summary>
public sealed class OneShotOptions
{
    /// <summary>Seeds the encoder's initialisation, the P×K batches and the enrolment draws.</summary>
    public ulong Seed { get; set; } = 1;

    /// <summary>The identities (class labels) the encoder trains on.</summary>
    public IReadOnlyList<int> TrainingIdentities { get; set; } = [0, 1, 2, 3, 4, 5, 6];

    /// <summary>The identities never seen in training, enrolled from one example each and then verified and identified.</summary>
    public IReadOnlyList<int> NewIdentities { get; set; } = [7, 8, 9];

    /// <summary>d, the length of the encoding.</summary>
    public int Dimension { get; set; } = 64;

    /// <summary>Width of the encoder's hidden layers.</summary>
    public int HiddenUnits { get; set; } = 256;

    /// <summary>Passes of P×K batches over the training rows.</summary>
    public int Epochs { get; set; } = 3;

    /// <summary>P, identities per mini-batch.</summary>
    public int IdentitiesPerBatch { get; set; } = 7;

    /// <summary>K, examples of each identity per mini-batch.</summary>
    public int ExamplesPerIdentity { get; set; } = 16;

    /// <summary>α of the triplet loss.</summary>
    public float Margin { get; set; } = 0.2f;

    /// <summary>How triplets are mined from each batch.</summary>
    public TripletMining Mining { get; set; } = TripletMining.BatchAll;

    /// <summary>Adam's learning rate.</summary>
    public float LearningRate { get; set; } = 1e-3f;

    /// <summary>The learning-rate schedule of the encoder's training (none: a constant rate).</summary>
    public LearningRateSchedule? Schedule { get; set; }

    /// <summary>Augmentation of the encoder's training images (e.g. MlNetDeep.Vision's small translations and rotations); none by default.</summary>
    public BatchAugmentation? Augmentation { get; set; }

    /// <summary>Scale every encoding to unit L2 norm (FaceNet); <see cref="EmbeddingHead"/>'s setting.</summary>
    public bool Normalize { get; set; } = true;

    /// <summary>The false-accept rate for which the verification threshold is chosen, on validation pairs of the training identities.</summary>
    public double FalseAcceptRate { get; set; } = 0.01;

    /// <summary>One-shot accuracy is averaged over this many random draws of the one enrolled example of each new identity.</summary>
    public int EnrolmentDraws { get; set; } = 10;

    /// <summary>Also train the baseline the seed argues against: a softmax classifier retrained with the new identities' single examples.</summary>
    public bool Baseline { get; set; } = true;
}
