using BenchmarkDotNet.Attributes;
using Microsoft.ML;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// One digit through a PredictionEngine over the LeNet-5 pipeline of <see cref="MlNetScoring.Setup"/>: the row-to-row
/// path, which scores its row alone rather than waiting for a block (about 11 µs on the machine of the README).
/// </summary>
[MemoryDiagnoser]
public class PredictionEngineBenchmarks
{
    private PredictionEngine<MlNetScoring.Digit, MlNetScoring.Prediction> _engine = null!;
    private MlNetScoring.Digit[] _digits = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var (ml, model, _, _, features) = MlNetScoring.Setup();
        _engine = ml.Model.CreatePredictionEngine<MlNetScoring.Digit, MlNetScoring.Prediction>(model);
        _digits = [.. Enumerable.Range(0, 64).Select(i => new MlNetScoring.Digit { Features = features.Row(i).ToArray() })];
    }

    // A different digit each call: the scorer skips the network when a row's features equal the last row's.
    [Benchmark(Description = "PredictionEngine.Predict, one digit")]
    public MlNetScoring.Prediction PredictOne() => _engine.Predict(_digits[_next++ % _digits.Length]);
}
