"""Renders a rigged Intershape glTF (intershape infer --export glb) in Blender,
headless, through the file's own camera: the picture in README.

blender -b --python scripts/render_rig_preview.py -- IN.glb OUT.png [FRAME]

It imports as README tells users to: the scene frame rate set first (from the
file's asset.extras.intershape.fps), Shading "Smooth" (Debian's Blender 3.4
fails on every glTF with the default shading: numpy.bool).
"""
import json
import math
import struct
import sys

import bpy

argv = sys.argv[sys.argv.index("--") + 1:]
glb, out_png = argv[0], argv[1]
frame = int(argv[2]) if len(argv) > 2 else 1

# The frame-rate hint, read from the GLB's JSON chunk.
with open(glb, "rb") as f:
    data = f.read()
jlen = struct.unpack_from("<I", data, 12)[0]
meta = json.loads(data[20:20 + jlen])
fps = meta.get("asset", {}).get("extras", {}).get("intershape", {}).get("fps", 30.0)

bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
scene.render.fps = round(fps)
scene.render.fps_base = round(fps) / fps
bpy.ops.import_scene.gltf(filepath=glb, import_shading="SMOOTH")

cams = [o for o in scene.objects if o.type == "CAMERA"]
scene.camera = cams[0]
cam = cams[0].data
# The glTF camera holds the vertical field of view and the aspect ratio.
aspect = meta["cameras"][0]["perspective"].get("aspectRatio", 4 / 3)
scene.render.resolution_y = 480
scene.render.resolution_x = int(round(480 * aspect))
cam.sensor_fit = "VERTICAL"
cam.angle_y = meta["cameras"][0]["perspective"]["yfov"]

# Show the bones through the mesh in the render: a thin wire copy is not
# possible for armatures in Eevee, so draw the skeleton as small spheres.
for arm in [o for o in scene.objects if o.type == "ARMATURE"]:
    for bone in arm.pose.bones:
        bpy.ops.mesh.primitive_uv_sphere_add(radius=0.004, segments=12, ring_count=6)
        s = bpy.context.active_object
        s.parent = arm
        s.parent_type = "BONE"
        s.parent_bone = bone.name
        # Parented to a bone, an object sits at the bone's tail: move it to the head.
        s.location = (0, -bone.bone.length, 0)
        mat = bpy.data.materials.get("joint") or bpy.data.materials.new("joint")
        mat.diffuse_color = (0.1, 0.1, 0.1, 1)
        mat.use_nodes = True
        mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (
            0.05, 0.05, 0.05, 1)
        s.data.materials.append(mat)
for m in [o for o in scene.objects if o.type == "MESH" and o.name.endswith("hand")]:
    for mat in m.data.materials:
        mat.blend_method = "BLEND"
        bsdf = mat.node_tree.nodes.get("Principled BSDF")
        if bsdf:
            bsdf.inputs["Alpha"].default_value = 0.45
        mat.show_transparent_back = False

bpy.ops.object.light_add(type="SUN", rotation=(math.radians(30), math.radians(-20), 0))
bpy.context.active_object.data.energy = 4.0
world = bpy.data.worlds.new("bg")
world.color = (0.30, 0.32, 0.36)
scene.world = world
scene.render.engine = "BLENDER_EEVEE"
scene.eevee.taa_render_samples = 8
scene.frame_set(frame)
scene.render.filepath = out_png
bpy.ops.render.render(write_still=True)
print("render_rig_preview: frame %d at %.3f fps -> %s" % (frame, fps, out_png))
