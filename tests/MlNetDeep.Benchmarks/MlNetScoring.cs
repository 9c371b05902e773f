using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MlNetDeep.Data;
using MlNetDeep.ML;
using MlNetDeep.Training;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// Scoring through ML.NET against the engine's own batch inference on the same rows (ours only: PyTorch has no ML.NET):
/// LeNet-5 trained for an epoch on the 8,000 training digits, then <c>Evaluate(model.Transform(test))</c> and
/// <see cref="Inference.Predict"/> on the 2,000 test digits, alternated: at least 5 s of warm-up, then 15 rounds of 5
/// calls each; then <c>PredictionEngine.Predict</c> on single rows (after 2 s of warm-up). Median rows/s and µs, and the median over rounds of each round's
/// Evaluate speed as a percentage of its Inference.Predict speed (paired, so less noisy than the two medians' ratio).
/// </summary>
public static class MlNetScoring
{
    /// <summary>Calls timed together as one sample: 10,000 rows.</summary>
    private const int CallsPerSample = 5;

    public static void Run(YardstickOptions options)
    {
        var (ml, model, test, network, features) = Setup();
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        var evaluate = new List<double>();
        var predict = new List<double>();
        var paired = new List<double>();
        double Rate(Action score)
        {
            var t = Stopwatch.StartNew();
            for (var i = 0; i < CallsPerSample; i++)
            {
                score();
            }

            return CallsPerSample * features.Rows / t.Elapsed.TotalSeconds;
        }

        void Evaluate() => ml.MulticlassClassification.Evaluate(model.Transform(test));
        void Predict() => Inference.Predict(network, features);

        // At least 5 s of warm-up, then 15 paired samples: ML.NET's evaluation path reaches the JIT's final tier only after
        // a few seconds (Evaluate took 12.4–12.8 ms after 2 s of alternated calls, 9.3–9.8 ms after 8 s; Predict 9.0 and 8.7).
        var warm = Stopwatch.StartNew();
        for (var i = 0; i < 3 || warm.Elapsed.TotalSeconds < 5; i++)
        {
            Rate(Evaluate);
            Rate(Predict);
        }

        for (var round = 0; round < 15; round++)
        {
            var e = Rate(Evaluate);
            var p = Rate(Predict);
            evaluate.Add(e);
            predict.Add(p);
            paired.Add(100 * e / p);
        }

        SideBySide.Emit("lenet-mlnet", "evaluate_transform_rows_per_s", evaluate, options.Threads);
        SideBySide.Emit("lenet-mlnet", "inference_predict_rows_per_s", predict, options.Threads);
        SideBySide.Emit("lenet-mlnet", "evaluate_percent_of_inference", paired, options.Threads);

        var engine = ml.Model.CreatePredictionEngine<Digit, Prediction>(model);
        var digits = Enumerable.Range(0, features.Rows).Select(i => new Digit { Features = features.Row(i).ToArray() }).ToArray();
        // At least 2 s of calls first, as for the batch rows: timed right away, the first thousands of calls ran code the JIT
        // had not yet optimised (19–26 µs a row against 14 once warm).
        warm.Restart();
        for (var i = 0; warm.Elapsed.TotalSeconds < 2; i++)
        {
            engine.Predict(digits[i % digits.Length]);
        }

        var latencies = new List<double>();
        for (var i = 0; i < 4000; i++)
        {
            var row = digits[i % digits.Length];
            var t = Stopwatch.GetTimestamp();
            engine.Predict(row);
            latencies.Add(Stopwatch.GetElapsedTime(t).TotalMicroseconds);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"model\": \"lenet-mlnet\", \"measure\": \"prediction_engine_latency_us\", \"median\": {SideBySide.Median(latencies):F2}, \"accuracy\": {metrics.MicroAccuracy:F4}, \"engine\": \"mlnetdeep\", \"threads\": {options.Threads}}}"));
    }

    /// <summary>The trained pipeline (MapValueToKey, LeNet-5), the cached test view, the network and the test features.</summary>
    public static (MLContext Ml, ITransformer Model, IDataView Test, Layers.Layer Network, Tensor Features) Setup()
    {
        var ml = new MLContext(seed: 0);
        var directory = DatasetPaths.Find("mnist");
        var train = Mnist.Load(directory, "train");
        var test = Mnist.Load(directory, "test");
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.NeuralNetwork(new NeuralNetworkMulticlassTrainer.Options
            {
                Network = NetworkArchitecture.LeNet5(),
                NumberOfEpochs = 1,
                Seed = 0,
            }))
            .Fit(ml.Data.Cache(train.ToDataView(ml)));
        return (ml, model, ml.Data.Cache(test.ToDataView(ml)), model.LastTransformer.Network, test.Features);
    }

    /// <summary>A PredictionEngine's input: one digit, [1, 28, 28] as ToDataView declares it.</summary>
    public sealed class Digit
    {
        [Microsoft.ML.Data.VectorType(1, 28, 28)]
        public float[] Features { get; set; } = [];

        public string Label { get; set; } = "0";
    }

    /// <summary>A PredictionEngine's output.</summary>
    public sealed class Prediction
    {
        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }
    }
}
