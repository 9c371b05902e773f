using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.ML.Internal;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Training;

namespace MlNetDeep.ML;

/// <summary>
/// What the three MlNetDeep trainers share: schema checks before training, reading the columns into tensors, building
/// the network, training it with the engine's <see cref="Trainer"/> and reporting each epoch to the MLContext's log
/// and the options' callback.
/// </summary>
public abstract class NeuralNetworkTrainerBase : IEstimator<NeuralNetworkTransformer>
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

    /// <summary>Trains a network on <paramref name="input"/> and returns it as a transformer.</summary>
    public NeuralNetworkTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var o = _options;
        var schema = input.Schema;
        var shape = NetworkInput.FeatureShape(schema, o.FeatureColumnName, o.FeatureShape);
        var (outputs, keyValues) = CheckLabel(schema);
        if (o.ValidationSet is { } validation)
        {
            CheckSameColumns(schema, validation.Schema);
        }

        var (x, y) = NetworkInput.Read(input, o.FeatureColumnName, o.LabelColumnName, Task, shape, "training");
        Tensor? vx = null, vy = null;
        if (o.ValidationSet is not null)
        {
            (vx, vy) = NetworkInput.Read(o.ValidationSet, o.FeatureColumnName, o.LabelColumnName, Task, shape, "validation");
        }

        var network = o.Network?.Invoke((int[])shape.Clone(), outputs) ?? DenseModels.Mlp(o.HiddenLayers, outputs, o.Activation, o.KeepProbability);
        var optimizer = o.Optimizer ?? new Adam(o.LearningRate);
        using var channel = _host.Start("Training");
        var seed = (ulong)(uint)(o.Seed ?? _host.Rand.Next());
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
            ValidationFraction = o.ValidationFraction,
            EarlyStopping = o.EarlyStopping,
            CancellationToken = o.CancellationToken,
            EpochCompleted = e =>
            {
                channel.Info(MessageSensitivity.None, string.Create(CultureInfo.InvariantCulture,
                    $"epoch {e.Epoch}/{o.NumberOfEpochs}: loss {e.TrainLoss:F4}, accuracy {e.TrainAccuracy:P2}, validation loss {e.ValidationLoss:F4}, validation accuracy {e.ValidationAccuracy:P2}, learning rate {e.LearningRate:G3}, {e.Seconds:F2} s"));
                o.ProgressCallback?.Invoke(e);
            },
        };
        channel.Info(MessageSensitivity.None, $"Training {network.Name} on {x.Rows} rows of shape [{string.Join(", ", shape)}] for {Task}, seed {seed}.");
        var history = Trainer.Fit(network, x, y, training, vx, vy);
        return new NeuralNetworkTransformer(Task, network, shape, o.FeatureColumnName, outputs, keyValues, history);
    }

    /// <summary>The input columns plus the columns the transformer will add; fails early on a missing or mistyped column.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        if (Find(inputSchema, _options.FeatureColumnName) is not { } features)
        {
            throw new ArgumentException($"The input has no column '{_options.FeatureColumnName}' for the features.");
        }

        if (features.ItemType != NumberDataViewType.Single || features.Kind == SchemaShape.Column.VectorKind.VariableVector)
        {
            throw new ArgumentException(
                $"Column '{_options.FeatureColumnName}' must be a known-size vector of Single or a Single; it is {features.Kind} of {features.ItemType}.");
        }

        if (Find(inputSchema, _options.LabelColumnName) is not { } label)
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

        return SchemaShapeColumns.Append(inputSchema, OutputColumns.Shapes(Task, label));
    }

    private static SchemaShape.Column? Find(SchemaShape shape, string name)
    {
        var found = shape.LastOrDefault(c => c.Name == name);
        return found.Name is null ? null : found;
    }

    private Loss CreateLoss() => Task switch
    {
        NeuralNetworkTask.MulticlassClassification => new SoftmaxCrossEntropy(_options is NeuralNetworkMulticlassTrainer.Options m ? m.LabelSmoothing : 0f),
        NeuralNetworkTask.BinaryClassification => new BinaryCrossEntropy(),
        _ => new QuadraticCost(),
    };

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

    private void CheckSameColumns(DataViewSchema training, DataViewSchema validation)
    {
        foreach (var name in new[] { _options.FeatureColumnName, _options.LabelColumnName })
        {
            var v = validation.GetColumnOrNull(name)
                ?? throw new ArgumentException($"The validation set has no column '{name}'.");
            if (!v.Type.Equals(training[name].Type))
            {
                throw new ArgumentException($"Column '{name}' is {v.Type} in the validation set but {training[name].Type} in the training data.");
            }
        }
    }

    private string ExpectedLabel() => Task switch
    {
        NeuralNetworkTask.MulticlassClassification => "a key (use mlContext.Transforms.Conversion.MapValueToKey)",
        NeuralNetworkTask.BinaryClassification => "Boolean",
        _ => "Single",
    };
}
