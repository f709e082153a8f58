#pragma once

// A core header, for the wrong include in common/ to aim at.
