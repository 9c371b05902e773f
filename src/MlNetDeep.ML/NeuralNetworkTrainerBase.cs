using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.ML.Detection;
using MlNetDeep.ML.Internal;
using MlNetDeep.ML.Segmentation;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.ML;

/// <summary>
/// What the three MlNetDeep trainers share: schema checks before training, reading the columns (into memory, or
/// streamed epoch by epoch past <see cref="NeuralNetworkOptions.MemoryBudget"/>), building the network, training it with
/// the engine's <see cref="Trainer"/> and reporting each epoch to the MLContext's log and the options' callback.
/// </summary>
/// <remarks>
/// <para>
/// Data of any size: while the decoded features (as floats, training and validation together) fit
/// <see cref="NeuralNetworkOptions.MemoryBudget"/>, they are read into memory once; past it, every epoch streams them
/// from the data view, decoding (and augmenting) the next mini-batches on a background thread while the network trains
/// on the current one, so memory stays bounded whatever the row count (even past the 2^31 values of a .NET array).
/// With <see cref="NeuralNetworkOptions.WorkspacePath"/> the decoded rows go to a pixel cache on disk in one pass, and
/// every epoch reads them back by row index.
/// </para>
/// <para>
/// Shuffling and reproducibility: in memory and from a pixel cache, each epoch visits the rows in the permutation that
/// <see cref="NeuralNetworkOptions.Seed"/> draws, the same in both, so the same seed trains the same model bit for bit.
/// Streamed without a cache, the rows go through a shuffle pool of <see cref="NeuralNetworkOptions.ShufflePoolSize"/>
/// rows: reproducible from the seed, but another order, hence another model than in memory (the same one when
/// <see cref="NeuralNetworkOptions.Shuffle"/> is off). A row's augmentation draws depend on the seed, the epoch and its
/// index in the view only, so they are the same in every mode (but for rows after one that was skipped as unreadable:
/// in memory and in a pixel cache the readable rows are numbered without the gap, streamed they keep the view's index).
/// </para>
/// <para>
/// A row whose features cannot be read (a missing or undecodable image) stops Fit with an
/// <see cref="InvalidDataException"/> naming the row and the view's text columns (such as the image path), or with
/// <see cref="NeuralNetworkOptions.SkipUnreadableRows"/> is skipped with a warning on the MLContext's log. A failed or
/// cancelled Fit returns no model.
/// </para>
/// </remarks>
public abstract class NeuralNetworkTrainerBase : ITrainerEstimator<NeuralNetworkTransformer, Layer>
{
    private readonly IHost _host;
    private readonly NeuralNetworkOptions _options;

    private protected NeuralNetworkTrainerBase(IHostEnvironment environment, NeuralNetworkOptions options, NeuralNetworkTask task)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        _host = environment.Register("MlNetDeep");
        _options = options;
        Task = task;
    }

    /// <summary>What the trained network predicts.</summary>
    public NeuralNetworkTask Task { get; }

    /// <summary>
    /// ML.NET's description of the trainer (of which ML.NET 5.0.1 makes two flags public): it does not need normalised
    /// features (a network learns any scale, though normalised inputs train faster: see <c>NormalizeInput</c>) and it
    /// does not want ML.NET's cache (it reads the data itself, into memory or streamed). A validation set is
    /// <see cref="NeuralNetworkOptions.ValidationSet"/>; probabilities need no calibration (its own sigmoid or softmax).
    /// </summary>
    public TrainerInfo Info => SharedInfo;

    // TrainerInfo has no public constructor in ML.NET 5.0.1; the prior trainer's says the same (no normalisation,
    // no caching, no calibration, no Fit(train, validation) form, no incremental training).
    private static readonly TrainerInfo SharedInfo = new MLContext().BinaryClassification.Trainers.Prior().Info;

    /// <summary>Trains a network on <paramref name="input"/> and returns it as a transformer.</summary>
    public NeuralNetworkTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var o = _options;
        var schema = input.Schema;
        var shape = NetworkInput.FeatureShape(schema, o.FeatureColumnName, o.FeatureShape);
        ColumnNames();
        var (outputs, keyValues) = CheckLabel(schema);
        using var channel = _host.Start("Training");
        var chain = AugmentationChain.Find(schema, o.FeatureColumnName);
        if (chain is not null)
        {
            var augmented = chain.Augmentation.OutputShape(chain.InputShape);
            if (augmented.Length != Tensor.ProductOf(shape))
            {
                throw new InvalidOperationException(
                    $"The image steps behind column '{o.FeatureColumnName}' produce {augmented} images, which do not fit the feature shape [{string.Join(", ", shape)}].");
            }
        }

        // The network is built and checked before any data is read: a wrong output count fails now, not after training
        // (or at Transform, as "Destination is too short"). It is built as Trainer.Fit would build it, from the same
        // sample shape and seed, which then finds it built: the run is the same.
        var seed = (ulong)(uint)(o.Seed ?? _host.Rand.Next());
        int[] sampleShape = chain is null ? shape : chain.Augmentation.OutputShape([chain.InputShape.Channels, chain.InputShape.Height, chain.InputShape.Width]);
        Detector? detector = null;
        var maxObjects = 0;
        if (o is NeuralNetworkDetectionTrainer.Options detection)
        {
            (detector, maxObjects) = DetectionTask.CreateDetector(detection, input, sampleShape, seed);
            outputs = detector.OutputLength;
        }

        var segmentation = Task == NeuralNetworkTask.Segmentation
            ? SegmentationTask.Output((NeuralNetworkSegmentationTrainer.Options)o, schema, outputs, sampleShape)
            : null;
        var network = o.Network?.Invoke((int[])shape.Clone(), outputs)
            ?? detector?.CreateNetwork()
            ?? Task switch
            {
                NeuralNetworkTask.Embedding => EmbeddingTask.DefaultNetwork(o, outputs),
                NeuralNetworkTask.Segmentation => SegmentationTask.DefaultNetwork(sampleShape, outputs),
                _ => DenseModels.Mlp(o.HiddenLayers, outputs, o.Activation, o.KeepProbability),
            };
        if (!network.IsBuilt)
        {
            network.Build(sampleShape, new RandomSource(seed));
        }

        if (segmentation is not null)
        {
            SegmentationTask.CheckNetworkOutput(network, segmentation);
        }
        else
        {
            CheckOutputCount(network, outputs);
        }

        // The targets are read with the images the rows hold: the source images when image steps come first.
        int[] sourceShape = chain is null ? shape : [chain.InputShape.Channels, chain.InputShape.Height, chain.InputShape.Width];
        var reader = new DataViewInput(o, CreateTargetReader(schema, outputs, sourceShape, detector, maxObjects), new ReadSettings(o.SkipUnreadableRows, o.CancellationToken, channel));
        DataViewSchema.Column column;
        int[] rowShape;
        if (chain is null)
        {
            if (AugmentationChain.AnyIn(schema))
            {
                channel.Warning(MessageSensitivity.None,
                    $"The pipeline has MlNetDeep image steps, but column '{o.FeatureColumnName}' was rewritten after them by another transform, so training sees no augmentation. Put the image steps last, right before the trainer.");
            }

            (column, rowShape) = (schema[o.FeatureColumnName], shape);
        }
        else
        {
            channel.Info(MessageSensitivity.None, $"Augmenting every training mini-batch from column '{chain.Source.Name}' ({chain.InputShape}): {chain.Describe()}.");
            (column, rowShape) = (chain.Source, [chain.InputShape.Channels, chain.InputShape.Height, chain.InputShape.Width]);
        }

        using var trainingRows = reader.Open(input, column, RowTransform.Identity(rowShape), "training", o.TrainSetPixelCacheFileName);
        using var validationRows = o.ValidationSet is { } validationSet ? OpenValidation(reader, validationSet, schema, chain, shape) : null;
        var weights = o.ExampleWeightColumnName is { } weightColumn
            ? ExampleWeights(NetworkInput.ReadWeights(input, weightColumn, "training", o.CancellationToken), trainingRows, weightColumn)
            : null;

        var optimizer = o.Optimizer ?? new Adam(o.LearningRate);
        var training = new TrainingOptions
        {
            Loss = detector?.CreateLoss() ?? CreateLoss(),
            Optimizer = optimizer,
            Schedule = o.Schedule,
            Epochs = o.NumberOfEpochs,
            BatchSize = o.BatchSize,
            Seed = seed,
            Shuffle = o.Shuffle,
            ReadAhead = o.ReadAhead,
            L1 = o.L1Regularization,
            L2 = o.L2Regularization,
            GradientClipNorm = o.GradientClipNorm,
            DetectDivergence = o.DetectDivergence,
            DivergenceFactor = o.DivergenceFactor,
            ValidationFraction = o.ValidationFraction,
            EarlyStopping = o.EarlyStopping,
            CancellationToken = o.CancellationToken,
            Augmentation = chain?.Augmentation,
            BatchCompleted = o.BatchProgressCallback,
            Callbacks = o.Callbacks,
            EpochCompleted = e =>
            {
                channel.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
                    $"epoch {e.Epoch}/{o.NumberOfEpochs}: loss {e.TrainLoss:F4}, accuracy {e.TrainAccuracy:P2}, validation loss {e.ValidationLoss:F4}, validation accuracy {e.ValidationAccuracy:P2}, learning rate {e.LearningRate:G3}, {e.Seconds:F2} s"));
                o.ProgressCallback?.Invoke(e);
            },
        };
        channel.Info(MessageSensitivity.None, $"Training {network.Name} on {trainingRows.Rows} rows of shape [{string.Join(", ", shape)}] for {Task}, seed {seed}.");
        if (Task == NeuralNetworkTask.Embedding)
        {
            // P identities × K examples per mini-batch, from the identities of the rows as the source holds them.
            var sampler = EmbeddingTask.Sampler((NeuralNetworkEmbeddingTrainer.Options)o, input, trainingRows, channel);
            training.BatchSampler = sampler;
            training.BatchSize = sampler.BatchSize;
        }

        var history = Trainer.Fit(network, trainingRows, training, validationRows, weights);
        return new NeuralNetworkTransformer(Task, network, shape, o.FeatureColumnName, segmentation?.Outputs ?? outputs, keyValues, history, ColumnNames(), detector, segmentation);
    }

    /// <summary>The example weights of the rows of <paramref name="rows"/>, from the weights of the view's rows.</summary>
    private static Tensor ExampleWeights(Tensor viewWeights, BatchSource rows, string column)
    {
        var map = (IViewRowMap)rows;
        var weights = new Tensor(rows.Rows);
        for (var r = 0; r < rows.Rows; r++)
        {
            var viewRow = map.ViewRow(r);
            if (viewRow >= viewWeights.Length)
            {
                throw new InvalidOperationException($"The data gave more rows of features than the {viewWeights.Length} example weights of column '{column}'.");
            }

            weights[r] = viewWeights[viewRow];
        }

        return weights;
    }

    /// <summary>The input columns plus the columns the transformer will add; fails early on a missing or mistyped column.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (SchemaShapeColumns.Find(inputSchema, _options.FeatureColumnName) is not { } features)
        {
            throw new ArgumentException($"The input has no column '{_options.FeatureColumnName}' for the features.");
        }

        if (features.ItemType != NumberDataViewType.Single || features.Kind == SchemaShape.Column.VectorKind.VariableVector)
        {
            throw new ArgumentException(
                $"Column '{_options.FeatureColumnName}' must be a known-size vector of Single or a Single; it is {features.Kind} of {features.ItemType}.");
        }

        if (SchemaShapeColumns.Find(inputSchema, _options.LabelColumnName) is not { } label)
        {
            throw new ArgumentException($"The input has no column '{_options.LabelColumnName}' for the label.");
        }

        if (_options is NeuralNetworkDetectionTrainer.Options detection)
        {
            if (DetectionTask.CheckColumns(inputSchema, detection, label) is { } wrong)
            {
                throw new ArgumentException(wrong);
            }
        }

        var expected = Task switch
        {
            NeuralNetworkTask.Detection => true,
            NeuralNetworkTask.MulticlassClassification or NeuralNetworkTask.Embedding => label.IsKey,
            NeuralNetworkTask.BinaryClassification => label.ItemType == BooleanDataViewType.Instance && label.Kind == SchemaShape.Column.VectorKind.Scalar,
            NeuralNetworkTask.Segmentation => label.Kind == SchemaShape.Column.VectorKind.Vector
                && (label.ItemType == NumberDataViewType.UInt32 || (!label.IsKey && label.ItemType == NumberDataViewType.Single)),
            _ => label.ItemType == NumberDataViewType.Single && label.Kind == SchemaShape.Column.VectorKind.Scalar,
        };
        if (!expected)
        {
            throw new ArgumentException(
                $"Label column '{_options.LabelColumnName}' must be {ExpectedLabel()}; it is {(label.IsKey ? "a key of " : string.Empty)}{label.ItemType}.");
        }

        if (_options.ExampleWeightColumnName is { } weight
            && (SchemaShapeColumns.Find(inputSchema, weight) is not { } weights || weights.ItemType != NumberDataViewType.Single || weights.Kind != SchemaShape.Column.VectorKind.Scalar))
        {
            throw new ArgumentException($"The example weight column '{weight}' must be a Single column of the input.");
        }

        return SchemaShapeColumns.Append(inputSchema, OutputColumns.Shapes(Task, label, ColumnNames(), _options is NeuralNetworkSegmentationTrainer.Options { OutputScores: true }));
    }

    /// <summary>The output column names the options give, checked.</summary>
    private OutputColumnNames ColumnNames() => new OutputColumnNames(
        _options is NeuralNetworkEmbeddingTrainer.Options embedding ? embedding.EmbeddingColumnName : _options.ScoreColumnName,
        _options is NeuralNetworkSegmentationTrainer.Options segmentation ? segmentation.PredictedMaskColumnName : _options.PredictedLabelColumnName,
        _options is NeuralNetworkBinaryTrainer.Options binary ? binary.ProbabilityColumnName : OutputColumns.Probability,
        _options is NeuralNetworkDetectionTrainer.Options detection ? detection.PredictedBoundingBoxesColumnName : OutputColumns.Boxes).Checked();

    /// <summary>How the task's targets are read from the label column(s), for rows of images of <paramref name="imageShape"/>.</summary>
    private TargetReader CreateTargetReader(DataViewSchema schema, int classes, int[] imageShape, Detector? detector, int maxObjects) => Task switch
    {
        NeuralNetworkTask.Segmentation => SegmentationTask.Reader((NeuralNetworkSegmentationTrainer.Options)_options, schema, classes, imageShape),
        NeuralNetworkTask.Detection when detector is not null && _options is NeuralNetworkDetectionTrainer.Options detection
            => DetectionTask.TargetReader(detection, detector, maxObjects),
        _ => new LabelTargetReader(_options.LabelColumnName, Task),
    };

    private Loss CreateLoss() => Task switch
    {
        NeuralNetworkTask.MulticlassClassification => new SoftmaxCrossEntropy(_options is NeuralNetworkMulticlassTrainer.Options m ? m.LabelSmoothing : 0f),
        NeuralNetworkTask.BinaryClassification => new BinaryCrossEntropy(),
        NeuralNetworkTask.Embedding => EmbeddingTask.Loss((NeuralNetworkEmbeddingTrainer.Options)_options),
        NeuralNetworkTask.Segmentation => SegmentationTask.Loss((NeuralNetworkSegmentationTrainer.Options)_options),
        _ => new QuadraticCost(),
    };

    /// <summary>Throws unless the network has one output per class (multiclass) or one output (binary, regression).</summary>
    private void CheckOutputCount(Layer network, int expected)
    {
        var actual = Tensor.ProductOf(network.OutputShape);
        if (actual != expected)
        {
            var what = Task switch
            {
                NeuralNetworkTask.MulticlassClassification => $"multiclass classification of label '{_options.LabelColumnName}' needs {expected}, one logit per class",
                NeuralNetworkTask.BinaryClassification => $"binary classification needs {expected}, the logit of the positive class",
                NeuralNetworkTask.Embedding => $"an embedding of dimension {expected} needs {expected}, the encoding",
                NeuralNetworkTask.Detection => $"its detector decodes {expected}",
                _ => $"regression needs {expected}, the predicted value",
            };
            throw new InvalidOperationException(
                $"Network '{network.Name}' has {actual} outputs (output shape [{string.Join(", ", network.OutputShape.ToArray())}]), but {what}. " +
                $"Build the network from the output count that {nameof(NeuralNetworkOptions)}.{nameof(NeuralNetworkOptions.Network)} is given.");
        }
    }

    private (int Outputs, LabelKeyValues? KeyValues) CheckLabel(DataViewSchema schema)
    {
        var name = _options.LabelColumnName;
        switch (Task)
        {
            case NeuralNetworkTask.MulticlassClassification:
                var classes = NetworkInput.ClassCount(schema, name);
                return (classes, LabelKeyValues.From(schema[name]));
            case NeuralNetworkTask.BinaryClassification:
                NetworkInput.RequireLabel(schema, name, BooleanDataViewType.Instance, " (true for the positive class)");
                return (1, null);
            case NeuralNetworkTask.Detection:
                // The detector, made from the data after this check, fixes the output count.
                return (0, null);
            case NeuralNetworkTask.Segmentation:
                return SegmentationTask.Classes((NeuralNetworkSegmentationTrainer.Options)_options, schema);
            case NeuralNetworkTask.Embedding:
                NetworkInput.ClassCount(schema, name);
                return (EmbeddingTask.Dimension((NeuralNetworkEmbeddingTrainer.Options)_options), null);
            default:
                NetworkInput.RequireLabel(schema, name, NumberDataViewType.Single, string.Empty);
                return (1, null);
        }
    }

    /// <summary>
    /// The validation rows. With image steps, a validation set already transformed by the fitted steps is read as it is
    /// (their scoring form); one that still has the source images gets the steps' scoring form as it is read.
    /// </summary>
    private BatchSource OpenValidation(DataViewInput input, IDataView validation, DataViewSchema trainingSchema, AugmentationChain? chain, int[] shape)
    {
        var training = _options.FeatureColumnName;
        var label = _options.LabelColumnName;
        var schema = validation.Schema;
        var labelColumn = schema.GetColumnOrNull(label) ?? throw new ArgumentException($"The validation set has no column '{label}'.");
        if (!labelColumn.Type.Equals(trainingSchema[label].Type))
        {
            throw new ArgumentException($"Column '{label}' is {labelColumn.Type} in the validation set but {trainingSchema[label].Type} in the training data.");
        }

        if (chain is not null && (schema.GetColumnOrNull(training) is null || AugmentationChain.Find(schema, training) is null))
        {
            // Not transformed by the fitted image steps: read their source column and apply their scoring form here.
            var source = schema.GetColumnOrNull(chain.Source.Name)
                ?? throw new ArgumentException($"The validation set has neither column '{training}' transformed by the image steps nor their source column '{chain.Source.Name}'.");
            if (source.Type is not VectorDataViewType { Size: var size } || size != chain.InputShape.Length)
            {
                throw new ArgumentException(
                    $"Column '{source.Name}' of the validation set is {source.Type}; the image steps read {chain.InputShape} images ({chain.InputShape.Length} values a row).");
            }

            return input.Open(validation, source, RowTransform.Score(chain.Augmentation, chain.InputShape), "validation", _options.ValidationSetPixelCacheFileName);
        }

        var features = schema.GetColumnOrNull(training) ?? throw new ArgumentException($"The validation set has no column '{training}'.");
        var expected = NetworkInput.FeatureShape(schema, training, null);
        if (Tensor.ProductOf(expected) != Tensor.ProductOf(shape))
        {
            throw new ArgumentException($"Column '{training}' is {features.Type} in the validation set; the network takes {Tensor.ProductOf(shape)} values a row ([{string.Join(", ", shape)}]).");
        }

        return input.Open(validation, features, RowTransform.Identity(shape), "validation", _options.ValidationSetPixelCacheFileName);
    }

    private string ExpectedLabel() => Task switch
    {
        NeuralNetworkTask.Detection => "a vector of text",
        NeuralNetworkTask.MulticlassClassification or NeuralNetworkTask.Embedding => "a key (use mlContext.Transforms.Conversion.MapValueToKey)",
        NeuralNetworkTask.BinaryClassification => "Boolean",
        NeuralNetworkTask.Segmentation => "a known-size vector of keys, UInt32 or Single: one class label per pixel",
        _ => "Single",
    };
}
