using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MlNetDeep.Data;

namespace MlNetDeep.ML;

/// <summary>
/// A user's own data set, read the way the <c>mlnetdeep</c> tool and the experiment files read it: a CSV or TSV file
/// (columns inferred from the header and a sample of rows), MNIST's IDX files, or a folder of images with one
/// subfolder per class. <see cref="CreatePreprocessing"/> gives the ML.NET steps that turn its rows into the
/// <c>Label</c> and <c>Features</c> columns the MlNetDeep trainers read; the saved pipeline keeps those steps, so a
/// saved model scores raw rows again (<see cref="Read"/>).
/// </summary>
public sealed class UserDataset
{
    private readonly TextColumnInference.Inferred? _text;
    private readonly string[] _featureColumns;
    private readonly int _imageSize;

    private UserDataset(DatasetKind kind, string path, IDataView train, IDataView test, NeuralNetworkTask task, string labelColumn, int[]? featureShape, string description, TextColumnInference.Inferred? text, string[] featureColumns, int imageSize)
    {
        Kind = kind;
        Path = path;
        Train = train;
        Test = test;
        Task = task;
        LabelColumn = labelColumn;
        FeatureShape = featureShape;
        Description = description;
        _text = text;
        _featureColumns = featureColumns;
        _imageSize = imageSize;
    }

    /// <summary>What was read.</summary>
    public DatasetKind Kind { get; }

    /// <summary>The file or folder.</summary>
    public string Path { get; }

    /// <summary>The rows to train on, as read (before <see cref="CreatePreprocessing"/>).</summary>
    public IDataView Train { get; }

    /// <summary>The held-out rows: MNIST's test files, or <see cref="DatasetOptions.TestFraction"/> of the rows.</summary>
    public IDataView Test { get; }

    /// <summary>The task, given or inferred from the label.</summary>
    public NeuralNetworkTask Task { get; }

    /// <summary>The label column as read.</summary>
    public string LabelColumn { get; }

    /// <summary>The per-sample shape for the trainer's <see cref="NeuralNetworkOptions.FeatureShape"/> ([1, 28, 28] for MNIST), or null.</summary>
    public int[]? FeatureShape { get; }

    /// <summary>One line for the console.</summary>
    public string Description { get; }

    /// <summary>Reads <paramref name="path"/>: a CSV/TSV file, a folder of MNIST IDX files (or one of them), or an image folder.</summary>
    /// <exception cref="ArgumentException">The label or a feature column is not in the file (the message lists the columns).</exception>
    /// <exception cref="FileNotFoundException">Nothing is at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file or folder is not a readable data set.</exception>
    public static UserDataset Load(MLContext ml, string path, DatasetOptions options)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(options);
        var kind = KindOf(path);
        switch (kind)
        {
            case DatasetKind.Mnist:
            {
                var folder = MnistFolder(path);
                var train = Mnist.Load(folder, "train");
                var test = Mnist.Load(folder, "test");
                return new UserDataset(kind, folder, Rows(ml, train), Rows(ml, test), NeuralNetworkTask.MulticlassClassification, "Label", [1, Mnist.Side, Mnist.Side],
                    $"MNIST IDX files in {folder}: {train.Count} training and {test.Count} test digits of 28×28", null, ["Features"], 0);
            }

            case DatasetKind.ImageFolder:
            {
                // Held out class by class, both sets shuffled: a trainer that streams the images reads them in this order.
                var split = ml.Data.SplitImageFolder(new ImageFolderOptions { Path = path, ValidationFraction = options.TestFraction, Seed = options.Seed });
                return new UserDataset(kind, path, split.TrainSet, split.ValidationSet, options.Task ?? NeuralNetworkTask.MulticlassClassification, "Label", null,
                    $"image folder {path}: {Count(split.TrainSet) + Count(split.ValidationSet)} images in {split.ClassNames.Count} class folders, resized to {options.ImageSize}×{options.ImageSize}, {options.TestFraction:P0} held out",
                    null, ["ImagePath"], options.ImageSize);
            }

            default:
            {
                var inferred = TextColumnInference.Infer(path);
                var label = options.LabelColumn;
                var index = Array.IndexOf(inferred.Names, label);
                if (index < 0)
                {
                    throw new ArgumentException($"--label-col: the file '{path}' has no column '{label}'; its columns are {string.Join(", ", inferred.Names)}.");
                }

                var labelKind = inferred.Columns[index].DataKind;
                var task = options.Task ?? (labelKind == DataKind.Boolean ? NeuralNetworkTask.BinaryClassification
                    : labelKind == DataKind.String || TextColumnInference.FewWholeNumbers(path, inferred, index, 20) ? NeuralNetworkTask.MulticlassClassification
                    : NeuralNetworkTask.Regression);
                if (task == NeuralNetworkTask.BinaryClassification && labelKind != DataKind.Boolean)
                {
                    // 0/1 (or true/false) labels read as Boolean.
                    inferred = TextColumnInference.Infer(path, new Dictionary<string, DataKind> { [label] = DataKind.Boolean });
                }
                else if (task == NeuralNetworkTask.Regression && labelKind != DataKind.Single)
                {
                    throw new ArgumentException($"--task regression needs a numeric label; column '{label}' of '{path}' holds text.");
                }

                var features = options.FeatureColumns?.ToArray() ?? [.. inferred.Names.Where(n => n != label)];
                foreach (var f in features)
                {
                    if (!inferred.Names.Contains(f))
                    {
                        throw new ArgumentException($"--features-col: the file '{path}' has no column '{f}'; its columns are {string.Join(", ", inferred.Names)}.");
                    }
                }

                if (features.Length == 0 || features.Contains(label))
                {
                    throw new ArgumentException($"--features-col must name at least one column other than the label '{label}'.");
                }

                var all = Text(ml, path, inferred);
                var split = ml.Data.TrainTestSplit(all, options.TestFraction, seed: options.Seed);
                return new UserDataset(kind, path, split.TrainSet, split.TestSet, task, label, null,
                    $"{(inferred.Sklearn ? "scikit-learn data set" : inferred.Separator == '\t' ? "TSV" : "CSV")} {path}: {Count(all)} rows, label '{label}' ({task}), {features.Length} feature column(s), {options.TestFraction:P0} held out",
                    inferred, features, 0);
            }
        }
    }

    /// <summary>
    /// The rows of <paramref name="path"/> for a pipeline fitted on data of <paramref name="inputSchema"/> (the schema
    /// <c>LoadWithNetworks</c> returns): the columns are found by name; a column the file lacks (such as the label of
    /// rows to predict) reads as missing. For MNIST the test files.
    /// </summary>
    public static IDataView Read(MLContext ml, string path, DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(inputSchema);
        switch (KindOf(path))
        {
            case DatasetKind.Mnist:
                return Rows(ml, Mnist.Load(MnistFolder(path), "test"));
            case DatasetKind.ImageFolder:
                return ml.Data.LoadFromImageFolder(path, shuffle: false);
            default:
                var inferred = TextColumnInference.Infer(path);
                var columns = new List<TextLoader.Column>();
                var missing = inferred.Names.Length;
                foreach (var column in inputSchema)
                {
                    var index = Array.IndexOf(inferred.Names, column.Name);
                    var kind = KindOf(column.Type) ?? throw new InvalidDataException($"The model reads column '{column.Name}' as {column.Type}, which a text file cannot hold.");
                    columns.Add(new TextLoader.Column(column.Name, kind, index >= 0 ? index : missing++));
                }

                return Text(ml, path, inferred with { Columns = [.. columns] });
        }
    }

    /// <summary>
    /// The steps from the rows as read to the trainer's columns: the label to a key (multiclass, ordered by value), a
    /// Boolean (binary) or a Single (regression) named <c>Label</c>; the features to one normalised vector named
    /// <c>Features</c> (text columns one-hot encoded), or the images loaded, resized and turned into [3, H, W] pixels in [0, 1].
    /// </summary>
    public IEstimator<ITransformer> CreatePreprocessing(MLContext ml)
    {
        ArgumentNullException.ThrowIfNull(ml);
        IEstimator<ITransformer> label = Task switch
        {
            NeuralNetworkTask.MulticlassClassification => ml.Transforms.Conversion.MapValueToKey("Label", LabelColumn, keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue),
            _ when LabelColumn == "Label" => new EstimatorChain<ITransformer>(),
            _ => ml.Transforms.CopyColumns("Label", LabelColumn),
        };
        switch (Kind)
        {
            case DatasetKind.Mnist:
                return label;
            case DatasetKind.ImageFolder:
                return label
                    .Append(ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: "ImagePath"))
                    .Append(ml.Transforms.ResizeImages("Image", _imageSize, _imageSize))
                    .Append(ml.Transforms.ExtractPixels("Features", "Image", scaleImage: 1f / 255));
            default:
                IEstimator<ITransformer> steps = label;
                var parts = new List<string>();
                foreach (var name in _featureColumns)
                {
                    var kind = _text!.Columns.First(c => c.Name == name).DataKind;
                    if (kind == DataKind.String)
                    {
                        steps = steps.Append(ml.Transforms.Categorical.OneHotEncoding($"{name}.onehot", name));
                        parts.Add($"{name}.onehot");
                    }
                    else if (kind == DataKind.Boolean)
                    {
                        steps = steps.Append(ml.Transforms.Conversion.ConvertType($"{name}.single", name, DataKind.Single));
                        parts.Add($"{name}.single");
                    }
                    else
                    {
                        parts.Add(name);
                    }
                }

                return steps
                    .Append(ml.Transforms.Concatenate("Features", [.. parts]))
                    .Append(ml.Transforms.ReplaceMissingValues("Features"))
                    .Append(ml.Transforms.NormalizeMeanVariance("Features"));
        }
    }

    private static DatasetKind KindOf(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Directory.Exists(path))
        {
            if (HasMnist(path))
            {
                return DatasetKind.Mnist;
            }

            return ImageFolderCatalog.IsImageFolder(path)
                ? DatasetKind.ImageFolder
                : throw new InvalidDataException($"Folder '{path}' is neither MNIST's IDX files (train-images-idx3-ubyte[.gz] …) nor an image folder (one subfolder per class holding images).");
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"No data set at '{path}': expected a CSV/TSV file, a folder of MNIST IDX files or an image folder.", path);
        }

        return System.IO.Path.GetFileName(path).Contains("-idx", StringComparison.Ordinal) ? DatasetKind.Mnist : DatasetKind.Text;
    }

    private static bool HasMnist(string folder) =>
        File.Exists(System.IO.Path.Combine(folder, "train-images-idx3-ubyte.gz")) || File.Exists(System.IO.Path.Combine(folder, "train-images-idx3-ubyte"));

    private static string MnistFolder(string path) => Directory.Exists(path) ? path : System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;

    private static IDataView Text(MLContext ml, string path, TextColumnInference.Inferred inferred) =>
        ml.Data.CreateTextLoader(new TextLoader.Options
        {
            Columns = inferred.Columns,
            Separators = [inferred.Separator],
            HasHeader = true,
            AllowQuoting = true,
            TrimWhitespace = true,
        }).Load(path);

    private static IDataView Rows(MLContext ml, ClassificationData data)
    {
        var rows = Enumerable.Range(0, data.Count).Select(i => new Digit { Features = data.Features.Row(i).ToArray(), Label = (uint)data.Labels[i] }).ToList();
        var schema = SchemaDefinition.Create(typeof(Digit));
        schema[nameof(Digit.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, data.Features.RowSize);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    private static long Count(IDataView data)
    {
        long n = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext())
        {
            n++;
        }

        return n;
    }

    private static DataKind? KindOf(DataViewType type) => type.RawType switch
    {
        var t when t == typeof(float) => DataKind.Single,
        var t when t == typeof(double) => DataKind.Double,
        var t when t == typeof(bool) => DataKind.Boolean,
        var t when t == typeof(ReadOnlyMemory<char>) => DataKind.String,
        var t when t == typeof(int) => DataKind.Int32,
        var t when t == typeof(uint) => DataKind.UInt32,
        var t when t == typeof(long) => DataKind.Int64,
        _ => null,
    };

    private sealed class Digit
    {
        public float[] Features { get; set; } = [];

        public uint Label { get; set; }
    }
}
