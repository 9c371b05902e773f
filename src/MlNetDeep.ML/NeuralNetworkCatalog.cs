using Microsoft.ML;
using MlNetDeep.ML.Internal;

namespace MlNetDeep.ML;

/// <summary>
/// The MlNetDeep trainers in ML.NET's catalogs: <c>mlContext.MulticlassClassification.Trainers.NeuralNetwork(...)</c>,
/// <c>mlContext.BinaryClassification.Trainers.NeuralNetwork(...)</c> and <c>mlContext.Regression.Trainers.NeuralNetwork(...)</c>,
/// each with a simple overload and one taking <c>Options</c>.
/// </summary>
public static class NeuralNetworkCatalog
{
    /// <summary>A multiclass neural network; without <paramref name="hiddenLayers"/> an MLP 256-128 with ReLU.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The key label column.</param>
    /// <param name="featureColumnName">The features column (a known-size vector of Single).</param>
    /// <param name="hiddenLayers">Hidden layer sizes of the MLP; empty for softmax regression.</param>
    /// <param name="numberOfEpochs">Passes over the data.</param>
    /// <param name="batchSize">Mini-batch size.</param>
    /// <param name="learningRate">Adam's learning rate.</param>
    public static NeuralNetworkMulticlassTrainer NeuralNetwork(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label",
        string featureColumnName = "Features",
        int[]? hiddenLayers = null,
        int numberOfEpochs = 10,
        int batchSize = 64,
        float learningRate = 1e-3f) =>
        catalog.NeuralNetwork(Simple(new NeuralNetworkMulticlassTrainer.Options(), labelColumnName, featureColumnName, hiddenLayers, numberOfEpochs, batchSize, learningRate));

    /// <summary>A multiclass neural network with every option.</summary>
    public static NeuralNetworkMulticlassTrainer NeuralNetwork(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, NeuralNetworkMulticlassTrainer.Options options) =>
        new(CatalogEnvironment.Of(catalog), options);

    /// <summary>A binary neural network; without <paramref name="hiddenLayers"/> an MLP 256-128 with ReLU (empty for logistic regression).</summary>
    /// <param name="catalog">The binary trainers catalog.</param>
    /// <param name="labelColumnName">The Boolean label column.</param>
    /// <param name="featureColumnName">The features column (a known-size vector of Single).</param>
    /// <param name="hiddenLayers">Hidden layer sizes of the MLP; empty for logistic regression.</param>
    /// <param name="numberOfEpochs">Passes over the data.</param>
    /// <param name="batchSize">Mini-batch size.</param>
    /// <param name="learningRate">Adam's learning rate.</param>
    public static NeuralNetworkBinaryTrainer NeuralNetwork(
        this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = "Label",
        string featureColumnName = "Features",
        int[]? hiddenLayers = null,
        int numberOfEpochs = 10,
        int batchSize = 64,
        float learningRate = 1e-3f) =>
        catalog.NeuralNetwork(Simple(new NeuralNetworkBinaryTrainer.Options(), labelColumnName, featureColumnName, hiddenLayers, numberOfEpochs, batchSize, learningRate));

    /// <summary>A binary neural network with every option.</summary>
    public static NeuralNetworkBinaryTrainer NeuralNetwork(
        this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, NeuralNetworkBinaryTrainer.Options options) =>
        new(CatalogEnvironment.Of(catalog), options);

    /// <summary>A regression neural network; without <paramref name="hiddenLayers"/> an MLP 256-128 with ReLU (empty for linear regression).</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="labelColumnName">The Single label column.</param>
    /// <param name="featureColumnName">The features column (a known-size vector of Single).</param>
    /// <param name="hiddenLayers">Hidden layer sizes of the MLP; empty for linear regression.</param>
    /// <param name="numberOfEpochs">Passes over the data.</param>
    /// <param name="batchSize">Mini-batch size.</param>
    /// <param name="learningRate">Adam's learning rate.</param>
    public static NeuralNetworkRegressionTrainer NeuralNetwork(
        this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = "Label",
        string featureColumnName = "Features",
        int[]? hiddenLayers = null,
        int numberOfEpochs = 10,
        int batchSize = 64,
        float learningRate = 1e-3f) =>
        catalog.NeuralNetwork(Simple(new NeuralNetworkRegressionTrainer.Options(), labelColumnName, featureColumnName, hiddenLayers, numberOfEpochs, batchSize, learningRate));

    /// <summary>A regression neural network with every option.</summary>
    public static NeuralNetworkRegressionTrainer NeuralNetwork(
        this RegressionCatalog.RegressionTrainers catalog, NeuralNetworkRegressionTrainer.Options options) =>
        new(CatalogEnvironment.Of(catalog), options);

    /// <summary>
    /// The encoder of a Siamese network: features and an identity key label in, an <c>Embedding</c> column of
    /// <paramref name="embeddingDimension"/> Single out, trained with the triplet loss (α = 0.2) on P identities × K examples per mini-batch.
    /// </summary>
    /// <param name="catalog">The transforms catalog (an encoder is a transform to ML.NET: it adds a column, it predicts no label).</param>
    /// <param name="labelColumnName">The identity key column.</param>
    /// <param name="featureColumnName">The features column (a known-size vector of Single).</param>
    /// <param name="embeddingDimension">d, the encoding's length.</param>
    /// <param name="numberOfEpochs">Passes over the data.</param>
    public static NeuralNetworkEmbeddingTrainer NeuralNetworkEmbedding(
        this TransformsCatalog catalog,
        string labelColumnName = "Label",
        string featureColumnName = "Features",
        int embeddingDimension = 128,
        int numberOfEpochs = 10) =>
        catalog.NeuralNetworkEmbedding(new NeuralNetworkEmbeddingTrainer.Options
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            EmbeddingDimension = embeddingDimension,
            NumberOfEpochs = numberOfEpochs,
        });

    /// <summary>The encoder of a Siamese network with every option.</summary>
    public static NeuralNetworkEmbeddingTrainer NeuralNetworkEmbedding(this TransformsCatalog catalog, NeuralNetworkEmbeddingTrainer.Options options) =>
        new(CatalogEnvironment.Of(catalog), options);

    private static T Simple<T>(T options, string label, string features, int[]? hidden, int epochs, int batchSize, float learningRate)
        where T : NeuralNetworkOptions
    {
        options.LabelColumnName = label;
        options.FeatureColumnName = features;
        if (hidden is not null)
        {
            options.HiddenLayers = hidden;
        }

        options.NumberOfEpochs = epochs;
        options.BatchSize = batchSize;
        options.LearningRate = learningRate;
        return options;
    }
}
