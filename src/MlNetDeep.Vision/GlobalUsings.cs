global using MlNetDeep.Tensors;
global using MlNetDeep.Training;
