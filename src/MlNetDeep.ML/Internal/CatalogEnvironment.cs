using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MlNetDeep.ML.Internal;

/// <summary>
/// Finds the <see cref="IHostEnvironment"/> (the MLContext) behind a trainers or transforms catalog. Microsoft.ML 5.0.1 exposes it only
/// through the internal interface IInternalCatalog, so it is read by reflection here, in one place, with a test.
/// </summary>
internal static class CatalogEnvironment
{
    public static IHostEnvironment Of(TrainCatalogBase.CatalogInstantiatorBase catalog) => Of((object)catalog, typeof(TrainCatalogBase.CatalogInstantiatorBase));

    public static IHostEnvironment Of(TransformsCatalog catalog) => Of((object)catalog, typeof(TransformsCatalog));

    public static IHostEnvironment Of(DataOperationsCatalog catalog) => Of((object)catalog, typeof(DataOperationsCatalog));

    private static IHostEnvironment Of(object catalog, Type type)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var property = type
            .GetInterfaces()
            .FirstOrDefault(i => i.Name == "IInternalCatalog")?
            .GetProperty("Environment", BindingFlags.Instance | BindingFlags.Public);
        return property?.GetValue(catalog) as IHostEnvironment
            ?? throw new InvalidOperationException($"Microsoft.ML changed: {type.Name} no longer exposes its environment through IInternalCatalog.Environment.");
    }
}
