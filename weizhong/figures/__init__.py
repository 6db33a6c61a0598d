"""Figures from the clinic's data: exercise figures drawn from poses as SVG (standard library)."""

from weizhong.figures.exercise_svg import render_pose_svg
from weizhong.figures.pose import Pose, PoseError, default_angles, pose_from_table

__all__ = ["Pose", "PoseError", "default_angles", "pose_from_table", "render_pose_svg"]
