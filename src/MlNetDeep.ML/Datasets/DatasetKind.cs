namespace MlNetDeep.ML;

/// <summary>The kinds of data <see cref="UserDataset"/> reads.</summary>
public enum DatasetKind
{
    /// <summary>A CSV or TSV file with a header line (or a scikit-learn data set file).</summary>
    Text,

    /// <summary>MNIST's IDX files (train-images-idx3-ubyte and friends, gzipped or not) in one folder.</summary>
    Mnist,

    /// <summary>A folder of images with one subfolder per class.</summary>
    ImageFolder,
}
