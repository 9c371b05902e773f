using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.ML.Internal;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.ML;

/// <summary>
/// What the three MlNetDeep trainers share: schema checks before training, reading the columns into tensors, building
/// the network, training it with the engine's <see cref="Trainer"/> and reporting each epoch to the MLContext's log
/// and the options' callback.
/// </summary>
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
        var network = o.Network?.Invoke((int[])shape.Clone(), outputs) ?? DenseModels.Mlp(o.HiddenLayers, outputs, o.Activation, o.KeepProbability);
        if (!network.IsBuilt)
        {
            network.Build(sampleShape, new RandomSource(seed));
        }

        CheckOutputCount(network, outputs);
        Tensor x, y;
        if (chain is null)
        {
            if (AugmentationChain.AnyIn(schema))
            {
                channel.Warning(MessageSensitivity.None,
                    $"The pipeline has MlNetDeep image steps, but column '{o.FeatureColumnName}' was rewritten after them by another transform, so training sees no augmentation. Put the image steps last, right before the trainer.");
            }

            (x, y) = NetworkInput.Read(input, schema[o.FeatureColumnName], o.LabelColumnName, Task, shape, "training", o.CancellationToken);
        }
        else
        {
            channel.Info(MessageSensitivity.None, $"Augmenting every training mini-batch from column '{chain.Source.Name}' ({chain.InputShape}): {chain.Describe()}.");
            (x, y) = NetworkInput.Read(input, chain.Source, o.LabelColumnName, Task, [chain.InputShape.Channels, chain.InputShape.Height, chain.InputShape.Width], "training", o.CancellationToken);
        }

        var weights = o.ExampleWeightColumnName is { } weightColumn ? NetworkInput.ReadWeights(input, weightColumn, "training", o.CancellationToken) : null;
        if (weights is not null && weights.Length != x.Rows)
        {
            throw new InvalidOperationException($"The data gave {x.Rows} rows of features but {weights.Length} example weights from column '{o.ExampleWeightColumnName}'.");
        }

        Tensor? vx = null, vy = null;
        if (o.ValidationSet is { } validationSet)
        {
            (vx, vy) = ReadValidation(validationSet, schema, chain, shape);
        }

        var optimizer = o.Optimizer ?? new Adam(o.LearningRate);
        var training = new TrainingOptions
        {
            Loss = CreateLoss(),
            Optimizer = optimizer,
            Schedule = o.Schedule,
            Epochs = o.NumberOfEpochs,
            BatchSize = o.BatchSize,
            Seed = seed,
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
        channel.Info(MessageSensitivity.None, $"Training {network.Name} on {x.Rows} rows of shape [{string.Join(", ", shape)}] for {Task}, seed {seed}.");
        var history = Trainer.Fit(network, x, y, training, vx, vy, weights);
        return new NeuralNetworkTransformer(Task, network, shape, o.FeatureColumnName, outputs, keyValues, history, ColumnNames());
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

        var expected = Task switch
        {
            NeuralNetworkTask.MulticlassClassification => label.IsKey,
            NeuralNetworkTask.BinaryClassification => label.ItemType == BooleanDataViewType.Instance && label.Kind == SchemaShape.Column.VectorKind.Scalar,
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

        return SchemaShapeColumns.Append(inputSchema, OutputColumns.Shapes(Task, label, ColumnNames()));
    }

    /// <summary>The output column names the options give, checked.</summary>
    private OutputColumnNames ColumnNames() => new OutputColumnNames(
        _options.ScoreColumnName,
        _options.PredictedLabelColumnName,
        _options is NeuralNetworkBinaryTrainer.Options binary ? binary.ProbabilityColumnName : OutputColumns.Probability).Checked();

    private Loss CreateLoss() => Task switch
    {
        NeuralNetworkTask.MulticlassClassification => new SoftmaxCrossEntropy(_options is NeuralNetworkMulticlassTrainer.Options m ? m.LabelSmoothing : 0f),
        NeuralNetworkTask.BinaryClassification => new BinaryCrossEntropy(),
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
            default:
                NetworkInput.RequireLabel(schema, name, NumberDataViewType.Single, string.Empty);
                return (1, null);
        }
    }

    /// <summary>
    /// The validation set's features and targets. With image steps, a validation set already transformed by the fitted
    /// steps is read as it is (their scoring form); one that still has the source images gets the steps' scoring form here.
    /// </summary>
    private (Tensor Features, Tensor Targets) ReadValidation(IDataView validation, DataViewSchema trainingSchema, AugmentationChain? chain, int[] shape)
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

            var (raw, targets) = NetworkInput.Read(validation, source, label, Task, [chain.InputShape.Channels, chain.InputShape.Height, chain.InputShape.Width], "validation", _options.CancellationToken);
            var scored = new Tensor([raw.Rows, .. chain.Augmentation.OutputShape(raw.Shape[1..])]);
            chain.Augmentation.Apply(raw, Enumerable.Range(0, raw.Rows).ToArray(), 0, 0, training: false, scored);
            return (scored, targets);
        }

        var features = schema.GetColumnOrNull(training) ?? throw new ArgumentException($"The validation set has no column '{training}'.");
        var expected = NetworkInput.FeatureShape(schema, training, null);
        if (Tensor.ProductOf(expected) != Tensor.ProductOf(shape))
        {
            throw new ArgumentException($"Column '{training}' is {features.Type} in the validation set; the network takes {Tensor.ProductOf(shape)} values a row ([{string.Join(", ", shape)}]).");
        }

        return NetworkInput.Read(validation, features, label, Task, shape, "validation", _options.CancellationToken);
    }

    private string ExpectedLabel() => Task switch
    {
        NeuralNetworkTask.MulticlassClassification => "a key (use mlContext.Transforms.Conversion.MapValueToKey)",
        NeuralNetworkTask.BinaryClassification => "Boolean",
        _ => "Single",
    };
}
