using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Layers;
using MlNetDeep.Training;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// Scoring through ML.NET against the engine's own batch inference on the same 2,000 MNIST test digits, LeNet-5
/// trained for an epoch (<see cref="MlNetScoring.Setup"/>): <c>Evaluate(model.Transform(test))</c> (MapValueToKey, the
/// network's block cursor, the multiclass evaluator) and a plain cursor over the scores, against
/// <see cref="Inference.Predict"/> at its default batch of 256. The goal is at least 0.9 of the baseline's speed.
/// </summary>
[MemoryDiagnoser]
public class ScoringBenchmarks
{
    private MLContext _ml = null!;
    private ITransformer _model = null!;
    private IDataView _test = null!;
    private Layer _network = null!;
    private Tensor _features = null!;

    [GlobalSetup]
    public void Setup() => (_ml, _model, _test, _network, _features) = MlNetScoring.Setup();

    [Benchmark(Baseline = true, Description = "Inference.Predict, 2,000 digits")]
    public Tensor Predict() => Inference.Predict(_network, _features);

    [Benchmark(Description = "Evaluate(Transform(test)), 2,000 digits")]
    public MulticlassClassificationMetrics Evaluate() => _ml.MulticlassClassification.Evaluate(_model.Transform(_test));

    [Benchmark(Description = "Transform(test), Score read by a cursor, 2,000 digits")]
    public float Cursor()
    {
        var scored = _model.Transform(_test);
        using var cursor = scored.GetRowCursor([scored.Schema["Score"]]);
        var getter = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        VBuffer<float> score = default;
        var sum = 0f;
        while (cursor.MoveNext())
        {
            getter(ref score);
            sum += score.GetValues()[0];
        }

        return sum;
    }
}
