namespace MlNetDeep.ML;

/// <summary>How <see cref="UserDataset.Load"/> reads a user's data set.</summary>
public sealed class DatasetOptions
{
    /// <summary>The label column of a text file (for MNIST and image folders the label is the digit or the subfolder; "Label").</summary>
    public string LabelColumn { get; set; } = "Label";

    /// <summary>The feature columns of a text file; every other column when null.</summary>
    public IReadOnlyList<string>? FeatureColumns { get; set; }

    /// <summary>The task; inferred from the label when null (Boolean: binary; text or at most 20 whole numbers: multiclass; else regression).</summary>
    public NeuralNetworkTask? Task { get; set; }

    /// <summary>The side images are resized to (image folders).</summary>
    public int ImageSize { get; set; } = 32;

    /// <summary>The fraction of the rows held out for evaluation when the data set has no test part of its own.</summary>
    public double TestFraction { get; set; } = 0.2;

    /// <summary>Seeds the held-out split.</summary>
    public int Seed { get; set; }
}
