# SPDX-License-Identifier: MIT
# The build's layers point one way: core (autograd/, ops/, speed/) <- nn/ and
# optim/ <- cells/, and train/ <- dist/ <- examples/. A file may include its own layer and those
# below it, never one above; and the core's tape (autograd/) knows neither
# the ops nor the speed layers. Run by the build (target `layering`), so a
# wrong include fails it:  cmake -DROOT=<source dir> -P cmake/check_layers.cmake
set(forbidden_autograd "ops/|speed/|nn/|optim/|cells/|train/|dist/|examples/")
set(forbidden_ops "nn/|optim/|cells/|train/|dist/|examples/")
set(forbidden_speed "nn/|optim/|cells/|train/|dist/|examples/")
set(forbidden_nn "cells/|train/|dist/|examples/")
set(forbidden_optim "cells/|train/|dist/|examples/")
set(forbidden_train "cells/|dist/|examples/")
set(forbidden_cells "train/|dist/|examples/")
set(forbidden_dist "cells/|examples/")
set(errors "")
foreach(layer autograd ops speed nn optim cells train dist)
  file(GLOB files "${ROOT}/${layer}/*.hpp" "${ROOT}/${layer}/*.cpp")
  foreach(f ${files})
    file(STRINGS "${f}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
    foreach(line ${includes})
      string(REGEX MATCH "[<\"](\\.\\./)?(tapegrad/)?(${forbidden_${layer}})" bad "${line}")
      if(bad)
        file(RELATIVE_PATH rel "${ROOT}" "${f}")
        string(APPEND errors "  ${rel}: ${line}\n")
      endif()
    endforeach()
  endforeach()
endforeach()
if(errors)
  message(FATAL_ERROR "layering: a file includes a layer above its own "
                      "(core <- nn/optim <- cells, train <- dist <- examples; autograd/ knows no ops or speed layer):\n${errors}")
endif()
