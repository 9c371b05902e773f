using System.Runtime.CompilerServices;
using MlNetDeep.Serialization;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Vision;

/// <summary>Registers this assembly's layer types with <see cref="LayerRegistry"/> when the assembly loads.</summary>
internal static class VisionLayers
{
    // A module initializer, not a registration call the user must remember: a saved pipeline names its layer types,
    // and the loader touches this assembly (the detector) before it reads the network.
#pragma warning disable CA2255 // the registry must know the type before any network naming it is loaded or cloned
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register()
    {
        if (!LayerRegistry.IsRegistered(TwoStageNetwork.TypeKey))
        {
            LayerRegistry.Register(TwoStageNetwork.TypeKey, TwoStageNetwork.FromDescription);
        }
    }
}
