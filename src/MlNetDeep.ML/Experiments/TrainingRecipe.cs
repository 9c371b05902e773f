using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;
using MlNetDeep.Initializers;
using MlNetDeep.Models;
using MlNetDeep.Optimizers;
using MlNetDeep.Schedules;

namespace MlNetDeep.ML.Experiments;

/// <summary>
/// A training recipe by name and number — the network, optimizer, schedule and regularisation — as an experiment file
/// and the command line give it, and the one place that turns such settings into an MlNetDeep trainer. A search
/// changes one setting at a time through <see cref="With"/>; <see cref="Validate"/> names a setting that is out of range.
/// </summary>
public sealed class TrainingRecipe
{
    private static readonly int[] DefaultHidden = [256, 128];

    /// <summary>The networks by name.</summary>
    public static readonly IReadOnlyList<string> Models = ["mlp", "logistic", "lenet5", "lenet5-bn", "lenet5-classic", "inception", "small-convnet"];

    /// <summary>The optimizers by name.</summary>
    public static readonly IReadOnlyList<string> Optimizers = ["adam", "sgd", "momentum", "nesterov", "rmsprop"];

    /// <summary>The learning-rate schedules by name.</summary>
    public static readonly IReadOnlyList<string> Schedules = ["constant", "one-cycle", "cosine"];

    /// <summary>The weight initialisations by name.</summary>
    public static readonly IReadOnlyList<string> Initializations = ["kaiming", "xavier", "fan-in"];

    /// <summary>The settings a search may vary (the JSON names).</summary>
    public static readonly IReadOnlyList<string> Parameters =
        ["learningRate", "l2", "l1", "beta1", "beta2", "keepProbability", "labelSmoothing", "batchSize", "epochs", "hidden", "model", "optimizer", "schedule", "init"];

    /// <summary>The network: one of <see cref="Models"/>.</summary>
    public string Model { get; set; } = "mlp";

    /// <summary>Hidden layer sizes of the <c>mlp</c> (256, 128 when null); for no other network.</summary>
    public int[]? Hidden { get; set; }

    /// <summary>Dropout keep probability in (0, 1] (mlp, lenet5, lenet5-bn, small-convnet).</summary>
    public float KeepProbability { get; set; } = 1f;

    /// <summary>The optimizer: one of <see cref="Optimizers"/>.</summary>
    public string Optimizer { get; set; } = "adam";

    /// <summary>The base learning rate α0 (the one-cycle peak).</summary>
    public float LearningRate { get; set; } = 1e-3f;

    /// <summary>Adam's β1, the momentum β of momentum and Nesterov; in [0, 1).</summary>
    public float Beta1 { get; set; } = 0.9f;

    /// <summary>Adam's β2, RMSprop's β; in [0, 1).</summary>
    public float Beta2 { get; set; } = 0.999f;

    /// <summary>The schedule: one of <see cref="Schedules"/>.</summary>
    public string Schedule { get; set; } = "constant";

    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Mini-batch size.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>L2 strength (weight decay).</summary>
    public float L2 { get; set; }

    /// <summary>L1 strength.</summary>
    public float L1 { get; set; }

    /// <summary>Label smoothing ε in [0, 1) (multiclass).</summary>
    public float LabelSmoothing { get; set; }

    /// <summary>The initialisation of the mlp: one of <see cref="Initializations"/>.</summary>
    public string Init { get; set; } = "kaiming";

    /// <summary>Seeds initialisation, shuffling and dropout.</summary>
    public int Seed { get; set; }

    /// <summary>A copy.</summary>
    public TrainingRecipe Clone() => (TrainingRecipe)MemberwiseClone();

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first setting out of range, its allowed range and its value.</summary>
    public void Validate()
    {
        OneOf(nameof(Model), Model, Models);
        OneOf(nameof(Optimizer), Optimizer, Optimizers);
        OneOf(nameof(Schedule), Schedule, Schedules);
        OneOf(nameof(Init), Init, Initializations);
        Check(Epochs >= 1 && Epochs <= 100_000, nameof(Epochs), Epochs, "an integer from 1 to 100000");
        Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "an integer ≥ 1");
        Check(LearningRate > 0 && float.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "a number > 0");
        Check(KeepProbability > 0 && KeepProbability <= 1, nameof(KeepProbability), KeepProbability, "in (0, 1]");
        Check(Beta1 >= 0 && Beta1 < 1, nameof(Beta1), Beta1, "in [0, 1)");
        Check(Beta2 >= 0 && Beta2 < 1, nameof(Beta2), Beta2, "in [0, 1)");
        Check(L2 >= 0 && float.IsFinite(L2), nameof(L2), L2, "a number ≥ 0");
        Check(L1 >= 0 && float.IsFinite(L1), nameof(L1), L1, "a number ≥ 0");
        Check(LabelSmoothing >= 0 && LabelSmoothing < 1, nameof(LabelSmoothing), LabelSmoothing, "in [0, 1)");
        if (Hidden is not null)
        {
            if (Model != "mlp")
            {
                throw new ArgumentException($"hidden layers apply to the mlp only; the model is {Model}, whose layers are fixed.");
            }

            if (Hidden.Any(h => h < 1))
            {
                throw new ArgumentException($"hidden layer sizes must be integers ≥ 1; got {string.Join(",", Hidden)}.");
            }
        }
    }

    /// <summary>A copy with one setting (a JSON name of <see cref="Parameters"/>) set to <paramref name="value"/>.</summary>
    public TrainingRecipe With(string parameter, JsonElement value)
    {
        var copy = Clone();
        float F() => value.GetSingle();
        int I() => (int)Math.Round(value.GetDouble());
        switch (parameter)
        {
            case "learningRate": copy.LearningRate = F(); break;
            case "l2": copy.L2 = F(); break;
            case "l1": copy.L1 = F(); break;
            case "beta1": copy.Beta1 = F(); break;
            case "beta2": copy.Beta2 = F(); break;
            case "keepProbability": copy.KeepProbability = F(); break;
            case "labelSmoothing": copy.LabelSmoothing = F(); break;
            case "batchSize": copy.BatchSize = I(); break;
            case "epochs": copy.Epochs = I(); break;
            case "hidden": copy.Hidden = value.Deserialize<int[]>(); break;
            case "model": copy.Model = value.GetString()!; break;
            case "optimizer": copy.Optimizer = value.GetString()!; break;
            case "schedule": copy.Schedule = value.GetString()!; break;
            case "init": copy.Init = value.GetString()!; break;
            default: throw new ArgumentException($"'{parameter}' is not a setting a search can vary; expected one of {string.Join(", ", Parameters)}.");
        }

        return copy;
    }

    /// <summary>The trainer options of this recipe for <paramref name="task"/>.</summary>
    public NeuralNetworkOptions CreateOptions(NeuralNetworkTask task)
    {
        Validate();
        NeuralNetworkOptions options = task switch
        {
            NeuralNetworkTask.MulticlassClassification => new NeuralNetworkMulticlassTrainer.Options { LabelSmoothing = LabelSmoothing },
            NeuralNetworkTask.BinaryClassification => new NeuralNetworkBinaryTrainer.Options(),
            _ => new NeuralNetworkRegressionTrainer.Options(),
        };
        Initializer? init = Init switch { "xavier" => new XavierUniform(), "fan-in" => new FanInUniform(), _ => null };
        options.Network = Model switch
        {
            "mlp" => NetworkArchitecture.Mlp(Hidden ?? DefaultHidden, Activation.ReLU, KeepProbability, init),
            "logistic" => NetworkArchitecture.LogisticRegression(),
            "lenet5" => NetworkArchitecture.LeNet5(keepProbability: KeepProbability),
            "lenet5-bn" => NetworkArchitecture.LeNet5(batchNorm: true, keepProbability: KeepProbability),
            "lenet5-classic" => NetworkArchitecture.LeNet5Classic(),
            "inception" => NetworkArchitecture.SmallInception(),
            _ => NetworkArchitecture.SmallConvNet(keepProbability: KeepProbability),
        };
        options.Optimizer = Optimizer switch
        {
            "sgd" => new GradientDescent(LearningRate),
            "momentum" => new Momentum(LearningRate, Beta1),
            "nesterov" => new Nesterov(LearningRate, Beta1),
            "rmsprop" => new RmsProp(LearningRate, Beta2),
            _ => new Adam(LearningRate, Beta1, Beta2),
        };
        options.LearningRate = LearningRate;
        options.Schedule = Schedule switch { "one-cycle" => new OneCycle(LearningRate), "cosine" => new CosineAnnealing(), _ => null };
        options.NumberOfEpochs = Epochs;
        options.BatchSize = BatchSize;
        options.L1Regularization = L1;
        options.L2Regularization = L2;
        options.Seed = Seed;
        return options;
    }

    /// <summary>The MlNetDeep trainer of this recipe, after <paramref name="configure"/> set columns, validation and callbacks.</summary>
    public IEstimator<NeuralNetworkTransformer> CreateTrainer(MLContext ml, NeuralNetworkTask task, Action<NeuralNetworkOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(ml);
        var options = CreateOptions(task);
        configure?.Invoke(options);
        return options switch
        {
            NeuralNetworkMulticlassTrainer.Options m => ml.MulticlassClassification.Trainers.NeuralNetwork(m),
            NeuralNetworkBinaryTrainer.Options b => ml.BinaryClassification.Trainers.NeuralNetwork(b),
            NeuralNetworkRegressionTrainer.Options r => ml.Regression.Trainers.NeuralNetwork(r),
            _ => throw new InvalidOperationException("Unknown options."),
        };
    }

    /// <summary>One line: the network, optimizer, rate and the other settings.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Model}{(Model == "mlp" ? " " + string.Join("-", Hidden ?? DefaultHidden) : string.Empty)}, {Optimizer} {LearningRate:G4} ({Schedule}), batch {BatchSize}, {Epochs} epoch(s), L2 {L2:G3}, keep {KeepProbability:G3}, seed {Seed}");

    /// <summary>The JSON options experiment files are read with: camelCase names, kebab-case strategies ("coarse-to-fine"), comments and trailing commas allowed, unknown fields refused.</summary>
    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private static void OneOf(string name, string value, IReadOnlyList<string> allowed)
    {
        if (!allowed.Contains(value))
        {
            throw new ArgumentException($"{Camel(name)} '{value}' is unknown; expected one of {string.Join(", ", allowed)}.");
        }
    }

    private static void Check(bool ok, string name, object value, string expected)
    {
        if (!ok)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{Camel(name)} must be {expected}; got {value}."));
        }
    }

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
