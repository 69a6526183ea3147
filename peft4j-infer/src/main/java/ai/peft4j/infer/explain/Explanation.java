package ai.peft4j.infer.explain;

import java.util.List;
import java.util.Map;

/**
 * The maps of one class on one input.
 *
 * @param classIndex the class explained
 * @param targetPixels how many input pixels the target summed the class logit over (0: the maps are all zero)
 * @param maps one per module that could be mapped, in the order the modules were chosen
 * @param skipped the chosen modules that could not be mapped, with the reason
 */
public record Explanation(int classIndex, int targetPixels, List<ModuleMap> maps, Map<String, String> skipped) {}
