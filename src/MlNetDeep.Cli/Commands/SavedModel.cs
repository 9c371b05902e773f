using Microsoft.ML;
using MlNetDeep.ML;

namespace MlNetDeep.Cli.Commands;

/// <summary>A pipeline saved by <c>train --save</c> or an experiment, its input schema and its network stage.</summary>
internal sealed record SavedModel(ITransformer Pipeline, DataViewSchema InputSchema, NeuralNetworkTransformer Network)
{
    public static SavedModel Load(MLContext ml, string path)
    {
        var pipeline = ml.Model.LoadWithNetworks(path, out var schema);
        var network = Stages(pipeline).OfType<NeuralNetworkTransformer>().LastOrDefault()
            ?? throw new InvalidDataException($"'{path}' holds no MlNetDeep network.");
        return new SavedModel(pipeline, schema, network);
    }

    /// <summary>Reads rows for the pipeline: a CSV/TSV file, an MNIST folder or an image folder; "-" is CSV on standard input.</summary>
    public IDataView Read(MLContext ml, string dataset, TextReader input)
    {
        if (dataset != "-")
        {
            return UserDataset.Read(ml, dataset, InputSchema);
        }

        // ML.NET's text loader reads files: standard input is copied to one first, removed when the process ends.
        var file = Path.Combine(Path.GetTempPath(), $"mlnetdeep-stdin-{Environment.ProcessId}-{Guid.NewGuid():N}.csv");
        File.WriteAllText(file, input.ReadToEnd());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(file);
        return UserDataset.Read(ml, file, InputSchema);
    }

    private static IEnumerable<ITransformer> Stages(ITransformer t) =>
        t is IEnumerable<ITransformer> chain ? chain.SelectMany(Stages) : [t];
}
