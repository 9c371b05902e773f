using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.Layers;
using MlNetDeep.ML;

namespace MlNetDeep.Fuzz;

/// <summary>
/// The child of the kill -9 test: fits a pipeline whose network takes about the given number of megabytes, saves it to
/// the target with <c>SaveWithNetworks</c>, prints "saved" after the first complete save, and saves again and again
/// until it is killed.
/// </summary>
internal static class SaveLoop
{
    public static int Run(string target, int megabytes)
    {
        const int Inputs = 256;
        var ml = new MLContext(seed: 1);
        var random = new Random(1);
        var rows = Enumerable.Range(0, 32).Select(i => new Row
        {
            Features = [.. Enumerable.Range(0, Inputs).Select(_ => (float)random.NextDouble())],
            Target = i % 7,
        }).ToList();
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Inputs);
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        var hidden = Math.Max(1, megabytes * (1 << 20) / sizeof(float) / Inputs);
        var model = ml.Regression.Trainers.NeuralNetwork(new NeuralNetworkRegressionTrainer.Options
        {
            LabelColumnName = nameof(Row.Target),
            Network = (_, outputs) => new Sequential(new Dense(hidden), new Dense(outputs)),
            NumberOfEpochs = 1,
            BatchSize = 32,
            Seed = 1,
        }).Fit(data);
        for (var saves = 0; ; saves++)
        {
            ml.Model.SaveWithNetworks(model, data.Schema, target);
            if (saves == 0)
            {
                Console.WriteLine("saved");
                Console.Out.Flush();
            }
        }
    }

    private sealed class Row
    {
        public float[] Features { get; set; } = [];

        public float Target { get; set; }
    }
}
